package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestContainerSeesTheSetupFromItsSpec runs one busybox command per
// setting and checks what the container itself reports.
func TestContainerSeesTheSetupFromItsSpec(t *testing.T) {
	r := newRuntime(t)
	var hostNofile unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &hostNofile))
	nofileHard := min(hostNofile.Max, 2048)
	nofileSoft := min(nofileHard, 512)
	hostDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(hostDir, "f"), []byte("from the host"), 0o644))

	tests := []struct {
		name string
		args []string
		edit func(t *testing.T, b *bundle, s *specs.Spec)
		want string
	}{
		{
			name: "hostname",
			args: []string{"hostname"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) { s.Hostname = "gcit-host" },
			want: "gcit-host\n",
		},
		{
			name: "readonly_root_refuses_writes",
			args: []string{"sh", "-c", "if touch /x 2>/dev/null; then echo writable; else echo readonly; fi"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Root.Readonly = true
				t.Cleanup(func() {
					_, err := os.Lstat(filepath.Join(b.rootfs, "x"))
					require.True(t, os.IsNotExist(err), "/x appeared in the read-only rootfs on the host")
				})
			},
			want: "readonly\n",
		},
		{
			name: "masked_file_reads_empty_and_masked_dir_lists_empty",
			args: []string{"sh", "-c", "cat /etc/hostname; echo -n files:; ls /secret; echo"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				require.NoError(t, os.MkdirAll(filepath.Join(b.rootfs, "secret"), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(b.rootfs, "secret", "key"), []byte("k"), 0o644))
				s.Linux.MaskedPaths = []string{"/etc/hostname", "/secret"}
			},
			want: "files:\n",
		},
		{
			name: "user_namespace_with_two_uid_and_gid_ranges",
			args: []string{"sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				// The container's root is host uid 100000: it must be able
				// to walk the bundle's private temp directories.
				require.NoError(t, os.Chmod(b.dir, 0o755))
				require.NoError(t, os.Chmod(filepath.Dir(b.dir), 0o755))
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
				maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}, {ContainerID: 1000, HostID: 200000, Size: 500}}
				s.Linux.UIDMappings, s.Linux.GIDMappings = maps, maps
			},
			want: strings.Repeat(fmt.Sprintf("%10d %10d %10d\n%10d %10d %10d\n", 0, 100000, 1000, 1000, 200000, 500), 2),
		},
		{
			name: "env_cwd_uid_gid_additional_gids_umask",
			args: []string{"sh", "-c", "echo $FOO; pwd; id -u; id -g; id -G; umask"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Process.Env = append(s.Process.Env, "FOO=bar baz")
				s.Process.Cwd = "/var/tmp"
				umask := uint32(0o027)
				s.Process.User = specs.User{UID: 1000, GID: 1001, AdditionalGids: []uint32{5, 65534}, Umask: &umask}
			},
			want: "bar baz\n/var/tmp\n1000\n1001\n1001 5 65534\n0027\n",
		},
		{
			name: "rlimit_nofile",
			args: []string{"sh", "-c", "ulimit -Sn; ulimit -Hn"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: nofileSoft, Hard: nofileHard}}
			},
			want: fmt.Sprintf("%d\n%d\n", nofileSoft, nofileHard),
		},
		{
			name: "capabilities_match_the_spec",
			args: []string{"sh", "-c", "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				caps := []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"}
				s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
			},
			// CAP_CHOWN=0, CAP_KILL=5, CAP_NET_RAW=13.
			want: "CapInh:\t0000000000000000\nCapPrm:\t0000000000002021\nCapEff:\t0000000000002021\nCapBnd:\t0000000000002021\nCapAmb:\t0000000000000000\n",
		},
		{
			name: "no_new_privileges_set",
			args: []string{"grep", "NoNewPrivs", "/proc/self/status"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) { s.Process.NoNewPrivileges = true },
			want: "NoNewPrivs:\t1\n",
		},
		{
			name: "no_new_privileges_unset",
			args: []string{"grep", "NoNewPrivs", "/proc/self/status"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) { s.Process.NoNewPrivileges = false },
			want: "NoNewPrivs:\t0\n",
		},
		{
			name: "oom_score_adj",
			args: []string{"cat", "/proc/self/oom_score_adj"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) { v := 123; s.Process.OOMScoreAdj = &v },
			want: "123\n",
		},
		{
			name: "seccomp_errno_for_mkdir",
			args: []string{"sh", "-c", "mkdir /tmp/x 2>/dev/null; echo $?; grep '^Seccomp:' /proc/self/status"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
					{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno},
				}}
			},
			want: "1\nSeccomp:\t2\n",
		},
		{
			name: "seccomp_with_no_new_privileges_refusing_getcwd",
			args: []string{"sh", "-c", "[ -n \"$(pwd -P 2>/dev/null)\" ] && echo cwd-known || echo getcwd-refused; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Process.NoNewPrivileges = true
				ret := uint(38) // ENOSYS
				s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
					{Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: &ret},
				}}
			},
			want: "getcwd-refused\nNoNewPrivs:\t1\nSeccomp:\t2\n",
		},
		{
			name: "scheduler_policy_and_nice",
			args: []string{"sh", "-c", "grep -E '^(policy|prio) ' /proc/self/sched | tr -d ' '"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Nice: 5}
			},
			want: "policy:3\nprio:125\n", // SCHED_BATCH, 120+nice
		},
		{
			name: "io_priority",
			args: []string{"ionice"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 6}
			},
			want: "best-effort: prio 6\n",
		},
		{
			name: "personality_linux32",
			args: []string{"uname", "-m"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
			},
			want: "i686\n",
		},
		{
			name: "sysctl_kernel_msgmax",
			args: []string{"cat", "/proc/sys/kernel/msgmax"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Linux.Sysctl = map[string]string{"kernel.msgmax": "4321"}
			},
			want: "4321\n",
		},
		{
			name: "readonly_bind_mount_from_the_host",
			args: []string{"sh", "-c", "cat /mnt/host/f; echo; if touch /mnt/host/g 2>/dev/null; then echo writable; else echo readonly; fi"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt/host", Type: "bind", Source: hostDir, Options: []string{"rbind", "ro"}})
			},
			want: "from the host\nreadonly\n",
		},
		{
			name: "tmpfs_mount_with_mode_and_size",
			args: []string{"sh", "-c", "stat -c %a /scratch; grep ' /scratch ' /proc/self/mounts | cut -d' ' -f1,3"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "mode=1777"}})
			},
			want: "1777\ntmpfs tmpfs\n",
		},
		{
			// Debian and Alpine images have /var/run -> /run; Kubernetes
			// mounts /var/run/secrets/...: an absolute symlink inside the
			// rootfs must resolve against the rootfs, as in runc.
			name: "mount_under_absolute_rootfs_symlink_resolves_in_the_rootfs",
			args: []string{"sh", "-c", "grep ' /run/secrets ' /proc/self/mounts | cut -d' ' -f1,3"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				require.NoError(t, os.Symlink("/run", filepath.Join(b.rootfs, "var", "run")))
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/var/run/secrets", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}})
			},
			want: "tmpfs tmpfs\n",
		},
		{
			name: "mount_under_relative_rootfs_symlink_resolves_in_the_rootfs",
			args: []string{"sh", "-c", "grep ' /run/secrets ' /proc/self/mounts | cut -d' ' -f1,3"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				require.NoError(t, os.Symlink("../run", filepath.Join(b.rootfs, "var", "run")))
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/var/run/secrets", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}})
			},
			want: "tmpfs tmpfs\n",
		},
		{
			// runc creates the missing target of a dangling symlink inside
			// the rootfs (securejoin + MkdirAll) and mounts there.
			name: "mount_on_dangling_rootfs_symlink_creates_its_target_in_the_rootfs",
			args: []string{"sh", "-c", "grep ' /srv/data ' /proc/self/mounts | cut -d' ' -f1,3"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				require.NoError(t, os.Symlink("/srv/data", filepath.Join(b.rootfs, "data")))
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}})
			},
			want: "tmpfs tmpfs\n",
		},
		{
			name: "device_from_linux_devices",
			args: []string{"sh", "-c", "stat -c '%F %t:%T %a %u:%g' /dev/gcit0"},
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				mode := os.FileMode(0o640)
				uid, gid := uint32(7), uint32(8)
				s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/gcit0", Type: "c", Major: 1, Minor: 3, FileMode: &mode, UID: &uid, GID: &gid}}
			},
			want: "character special file 1:3 640 7:8\n",
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := baseSpec(tc.args...)
			b := newBundle(t, spec)
			tc.edit(t, b, spec)
			b.write(t, spec)
			id := "s" + strconv.Itoa(i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, 0, res.code, "%v\n%s", tc.args, res)
			require.Equal(t, tc.want, res.stdout, "%v\n%s", tc.args, res)
		})
	}
}

// TestContainerJoinsANamespaceGivenByPath creates container A, then B with
// A's network namespace by path, and compares the namespace inodes.
func TestContainerJoinsANamespaceGivenByPath(t *testing.T) {
	r := newRuntime(t)
	a := newBundle(t, baseSpec("sleep", "100"))
	r.deleteOnCleanup(t, "nsa")
	r.ok(t, "run", "--detach", "--bundle", a.dir, "nsa")
	aPid := r.mustState(t, "nsa").Pid
	aNet, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", aPid))
	require.NoError(t, err)
	hostNet, err := os.Readlink("/proc/self/ns/net")
	require.NoError(t, err)
	require.NotEqual(t, hostNet, aNet, "container A shares the host's network namespace")

	spec := baseSpec("readlink", "/proc/self/ns/net")
	for i, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace {
			spec.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/net", aPid)
		}
	}
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, "nsb")
	res := r.run(t, "run", "--bundle", b.dir, "nsb")
	require.Equal(t, 0, res.code, res.String())
	require.Equal(t, aNet+"\n", res.stdout, "B's network namespace is not A's")
}
