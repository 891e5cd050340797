package rootfs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	stdsyscall "syscall"
	"testing"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	lsys "github.com/gocontainer/gocontainer/libcontainer/syscall"
)

// report is what the helper observed from inside the container.
type report struct {
	EvilMountInRootfs bool              // before pivot: tmpfs at <rootfs>/tmp/x
	EvilMountOnHost   bool              // before pivot: a mount at /tmp/x of the host tree
	ProcMagic         int64             // statfs("/proc").f_type
	SysMagic          int64             // statfs("/sys").f_type
	DevNull           string            // "c 1:3"
	Links             map[string]string // /dev symlinks
	TimerListLen      int               // bytes read from masked /proc/timer_list
	AcpiEntries       int               // entries of masked /proc/acpi
	SecretLen         int               // bytes read from masked /etc/secret
	MaskedDirEntries  int
	MaskedDirMagic    int64
	ReadonlyPathErr   string // creating a file in a readonly path
	RootWriteErr      string // creating a file in /
	TmpWriteErr       string // creating a file in the /tmp tmpfs
	DataRead          string // content of the ro bind /data/file
	DataWriteErr      string
	ProcSysWriteErr   string // writing to /proc/sys (readonly path)
	Cwd               string
	CgroupMemMagic    int64
	CgroupCPUMagic    int64
	Mountpoints       []string
	DevShmMagic       int64
	PtsMagic          int64
	DevRO             string // error writing a file in /dev
	CopyUp            string // /copydir/sub/file after a tmpcopyup tmpfs
	CopyUpLink        string
	CopyUpMagic       int64
	Propagation       string // runtime-tools' rootfsPropagation probe result
	// StdinIsContainerNull: the host /dev/null stdin was replaced by the
	// container's node.
	StdinIsContainerNull bool
	// MountSources maps mountpoint -> "fstype source" as mountinfo shows.
	MountSources map[string]string
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		return unix.ErrnoName(errno)
	}
	return err.Error()
}

func statfsType(p string) int64 {
	var s unix.Statfs_t
	if err := unix.Statfs(p, &s); err != nil {
		return -1
	}
	return int64(s.Type)
}

func runHelper(bundle string) int {
	runtime.LockOSThread()
	if err := helper(bundle); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	return 0
}

func helper(bundle string) error {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return err
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return err
	}
	rootfs := filepath.Join(bundle, "rootfs")
	o := Options{Spec: &spec, Rootfs: rootfs, Bundle: bundle, NoPivot: os.Getenv("HELPER_NOPIVOT") == "1",
		InUserNS: os.Getenv("HELPER_USERNS") == "1"}
	s := lsys.NewLinux()
	if err := Prepare(s, o); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	var r report
	mounts, err := mountinfo.GetMounts(nil)
	if err != nil {
		return err
	}
	for _, m := range mounts {
		if m.Mountpoint == filepath.Join(rootfs, "tmp/x") && m.FSType == "tmpfs" {
			r.EvilMountInRootfs = true
		}
		if m.Mountpoint == "/tmp/x" {
			r.EvilMountOnHost = true
		}
	}
	if err := Pivot(s, o); err != nil {
		return fmt.Errorf("pivot: %w", err)
	}
	if err := ReopenDevNull(); err != nil {
		return err
	}
	if err := Finalize(s, o); err != nil {
		return fmt.Errorf("finalize: %w", err)
	}
	var in, dn unix.Stat_t
	if unix.Fstat(0, &in) == nil && unix.Stat("/dev/null", &dn) == nil {
		r.StdinIsContainerNull = in.Dev == dn.Dev && in.Ino == dn.Ino
	}
	var r2 report
	if spec.Linux.RootfsPropagation != "" {
		p, err := probePropagation()
		if err != nil {
			return fmt.Errorf("propagation probe: %w", err)
		}
		r2.Propagation = p
		return json.NewEncoder(os.Stdout).Encode(r2)
	}

	r.ProcMagic = statfsType("/proc")
	r.SysMagic = statfsType("/sys")
	var st unix.Stat_t
	if err := unix.Stat("/dev/null", &st); err == nil {
		kind := "?"
		if st.Mode&unix.S_IFMT == unix.S_IFCHR {
			kind = "c"
		}
		r.DevNull = fmt.Sprintf("%s %d:%d %#o", kind, unix.Major(st.Rdev), unix.Minor(st.Rdev), st.Mode&0o777)
	}
	r.Links = map[string]string{}
	for _, l := range []string{"ptmx", "fd", "stdin", "stdout", "stderr", "core"} {
		t, _ := os.Readlink("/dev/" + l)
		r.Links[l] = t
	}
	if b, err := os.ReadFile("/proc/timer_list"); err == nil {
		r.TimerListLen = len(b)
	} else {
		r.TimerListLen = -1
	}
	if es, err := os.ReadDir("/proc/acpi"); err == nil {
		r.AcpiEntries = len(es)
	} else {
		r.AcpiEntries = -1
	}
	if b, err := os.ReadFile("/etc/secret"); err == nil {
		r.SecretLen = len(b)
	} else {
		r.SecretLen = -1
	}
	if es, err := os.ReadDir("/masked-dir"); err == nil {
		r.MaskedDirEntries = len(es)
	} else {
		r.MaskedDirEntries = -1
	}
	r.MaskedDirMagic = statfsType("/masked-dir")
	r.ReadonlyPathErr = errString(os.WriteFile("/ro-dir/new", nil, 0o644))
	r.RootWriteErr = errString(os.WriteFile("/new", nil, 0o644))
	r.TmpWriteErr = errString(os.WriteFile("/tmp/new", nil, 0o644))
	if b, err := os.ReadFile("/data/file"); err == nil {
		r.DataRead = string(b)
	}
	r.DataWriteErr = errString(os.WriteFile("/data/file", []byte("x"), 0o644))
	r.ProcSysWriteErr = errString(os.WriteFile("/proc/sys/kernel/hostname", []byte("x"), 0o644))
	r.Cwd, _ = os.Getwd()
	r.CgroupMemMagic = statfsType("/sys/fs/cgroup/memory")
	r.CgroupCPUMagic = statfsType("/sys/fs/cgroup/cpu")
	r.DevShmMagic = statfsType("/dev/shm")
	r.PtsMagic = statfsType("/dev/pts")
	r.DevRO = errString(os.WriteFile("/dev/new", nil, 0o644))
	if b, err := os.ReadFile("/copydir/sub/file"); err == nil {
		r.CopyUp = string(b)
	}
	r.CopyUpLink, _ = os.Readlink("/copydir/link")
	r.CopyUpMagic = statfsType("/copydir")
	// Without a procfs in the container there is no mountinfo to read.
	inside, _ := mountinfo.GetMounts(nil)
	r.MountSources = map[string]string{}
	for _, m := range inside {
		r.Mountpoints = append(r.Mountpoints, m.Mountpoint)
		r.MountSources[m.Mountpoint] = m.FSType + " " + m.Source
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// probePropagation does what runtime-tools' runtimetest does for
// linux.rootfsPropagation: bind "/" recursively somewhere, mount something
// under "/" afterwards and see whether it shows up in the bind.
func probePropagation() (string, error) {
	for _, d := range []string{"/target", "/mnt-point", "/testdir"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile("/testdir/example", nil, 0o644); err != nil {
		return "", err
	}
	err := unix.Mount("/", "/target", "", unix.MS_BIND|unix.MS_REC, "")
	if errors.Is(err, unix.EINVAL) {
		return "unbindable", nil
	}
	if err != nil {
		return "", err
	}
	if err := unix.Mount("/testdir", "/mnt-point", "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return "", err
	}
	if _, err := os.Stat("/target/mnt-point/example"); err == nil {
		return "exposed", nil
	}
	return "not exposed", nil
}

func TestIntegrationRootfsPropagation(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates mount namespaces and mounts")
	}
	for prop, want := range map[string]string{
		"shared": "exposed", "rshared": "exposed", "slave": "not exposed", "private": "not exposed",
		"rprivate": "not exposed", "unbindable": "unbindable",
	} {
		t.Run(prop, func(t *testing.T) {
			bundle := buildBundle(t, false)
			var spec specs.Spec
			data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(data, &spec))
			spec.Root.Readonly = false
			spec.Linux.RootfsPropagation = prop
			data, err = json.Marshal(spec)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644))

			exe, err := os.Executable()
			require.NoError(t, err)
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), helperEnv+"="+bundle)
			cmd.SysProcAttr = &stdsyscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNS}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Run(), "helper failed: %s", stderr.String())
			var r report
			require.NoError(t, json.Unmarshal(stdout.Bytes(), &r), "helper output: %s", stdout.String())
			require.Equal(t, want, r.Propagation)
		})
	}
}

func buildBundle(t *testing.T, cgroupns bool) string {
	t.Helper()
	bundle := t.TempDir()
	rootfs := filepath.Join(bundle, "rootfs")
	for _, d := range []string{"etc", "ro-dir", "masked-dir", "tmp", "proc", "sys"} {
		require.NoError(t, os.MkdirAll(filepath.Join(rootfs, d), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(rootfs, "etc/secret"), []byte("top secret"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(rootfs, "masked-dir/file"), []byte("hidden"), 0o644))
	require.NoError(t, os.Symlink("/", filepath.Join(rootfs, "evil")))
	require.NoError(t, os.MkdirAll(filepath.Join(rootfs, "copydir/sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rootfs, "copydir/sub/file"), []byte("copied"), 0o600))
	require.NoError(t, os.Symlink("sub/file", filepath.Join(rootfs, "copydir/link")))
	require.NoError(t, os.MkdirAll(filepath.Join(bundle, "data"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bundle, "data/file"), []byte("from the host"), 0o644))

	ns := []specs.LinuxNamespace{{Type: specs.MountNamespace}}
	if cgroupns {
		ns = append(ns, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	spec := specs.Spec{
		Root: &specs.Root{Path: "rootfs", Readonly: true},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev"}},
			{Destination: "/evil/tmp/x", Type: "tmpfs", Source: "tmpfs"},
			{Destination: "/copydir", Type: "tmpfs", Source: "tmpfs", Options: []string{"tmpcopyup", "ro"}},
			{Destination: "/data", Type: "bind", Source: "data", Options: []string{"rbind", "ro"}},
		},
		Linux: &specs.Linux{
			Namespaces:    ns,
			MaskedPaths:   []string{"/proc/kcore", "/proc/timer_list", "/proc/acpi", "/etc/secret", "/masked-dir", "/does/not/exist"},
			ReadonlyPaths: []string{"/ro-dir", "/proc/sys", "/also/missing"},
		},
	}
	data, err := json.Marshal(spec)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644))
	return bundle
}

func TestIntegrationPrepareShowsContainerView(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates mount namespaces, mounts and device nodes")
	}
	for _, tc := range []struct {
		name     string
		noPivot  bool
		cgroupns bool
		userns   bool
	}{
		{"pivot_root with cgroupns", false, true, false},
		{"no-pivot without cgroupns", true, false, false},
		// In a user namespace: devices are bind mounts, sysfs and the v1
		// cgroup hierarchies cannot be mounted (binds instead), inherited
		// mount flags are locked and host mounts cannot be unmounted.
		{"userns pivot_root", false, true, true},
		{"userns no-pivot", true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bundle := buildBundle(t, tc.cgroupns)
			exe, err := os.Executable()
			require.NoError(t, err)
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), helperEnv+"="+bundle)
			if tc.noPivot {
				cmd.Env = append(cmd.Env, "HELPER_NOPIVOT=1")
			}
			flags := uintptr(unix.CLONE_NEWNS)
			if tc.cgroupns {
				flags |= unix.CLONE_NEWCGROUP
			}
			cmd.SysProcAttr = &stdsyscall.SysProcAttr{Cloneflags: flags}
			if tc.userns {
				cmd.Env = append(cmd.Env, "HELPER_USERNS=1")
				cmd.SysProcAttr.Cloneflags |= unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWIPC
				// Host root mapped to container root keeps file access
				// simple while the kernel still applies every userns
				// restriction (no mknod, locked mounts).
				cmd.SysProcAttr.UidMappings = []stdsyscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}}
				cmd.SysProcAttr.GidMappings = []stdsyscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}}
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Run(), "helper failed: %s", stderr.String())

			var r report
			require.NoError(t, json.Unmarshal(stdout.Bytes(), &r), "helper output: %s", stdout.String())

			require.True(t, r.EvilMountInRootfs, "tmpfs for /evil/tmp/x must land at <rootfs>/tmp/x")
			require.False(t, r.EvilMountOnHost, "a symlink to / must not move a mount onto the host tree")
			require.Equal(t, int64(unix.PROC_SUPER_MAGIC), r.ProcMagic)
			require.Equal(t, int64(unix.SYSFS_MAGIC), r.SysMagic)
			require.Equal(t, "c 1:3 0666", r.DevNull)
			links := map[string]string{
				"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
				"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2", "core": "",
			}
			if _, err := os.Stat("/proc/kcore"); err == nil {
				links["core"] = "/proc/kcore"
			}
			require.Equal(t, links, r.Links)
			if _, err := os.Stat("/proc/timer_list"); err == nil {
				require.Zero(t, r.TimerListLen, "masked /proc/timer_list reads empty")
			}
			if _, err := os.Stat("/proc/acpi"); err == nil {
				require.Zero(t, r.AcpiEntries, "masked /proc/acpi is empty")
			}
			require.Zero(t, r.SecretLen, "masked /etc/secret reads empty")
			require.Zero(t, r.MaskedDirEntries, "masked directory is empty")
			require.Equal(t, int64(unix.TMPFS_MAGIC), r.MaskedDirMagic)
			require.Equal(t, "EROFS", r.ReadonlyPathErr)
			require.Equal(t, "EROFS", r.RootWriteErr)
			require.Equal(t, "EROFS", r.ProcSysWriteErr)
			require.Empty(t, r.TmpWriteErr, "the /tmp tmpfs stays writable under a read-only root")
			require.Equal(t, "from the host", r.DataRead)
			require.Equal(t, "EROFS", r.DataWriteErr)
			require.Equal(t, "/", r.Cwd)
			require.True(t, r.StdinIsContainerNull, "ReopenDevNull swaps the host /dev/null stdin")
			require.Equal(t, int64(unix.CGROUP_SUPER_MAGIC), r.CgroupMemMagic)
			require.Equal(t, int64(unix.CGROUP_SUPER_MAGIC), r.CgroupCPUMagic)
			require.Equal(t, int64(unix.TMPFS_MAGIC), r.DevShmMagic)
			require.Equal(t, int64(unix.DEVPTS_SUPER_MAGIC), r.PtsMagic)
			require.Empty(t, r.DevRO, "/dev is writable unless its mount says ro")
			for _, mp := range r.Mountpoints {
				require.False(t, strings.HasPrefix(mp, bundle), "host path %s visible in the container", mp)
			}
			require.Contains(t, r.Mountpoints, "/tmp/x")
			// What runtime-tools' runtimetest checks for mounts: each
			// spec mount is in mountinfo, in spec order, with the spec's
			// type and source (binds and the v1 cgroup tmpfs excepted).
			last := -1
			for _, m := range []struct{ dest, typeSource string }{
				{"/proc", "proc proc"}, {"/dev", "tmpfs tmpfs"}, {"/dev/pts", "devpts devpts"},
				{"/dev/shm", "tmpfs shm"}, {"/dev/mqueue", "mqueue mqueue"}, {"/sys", "sysfs sysfs"},
				{"/sys/fs/cgroup", "tmpfs cgroup"}, {"/tmp", "tmpfs tmpfs"},
			} {
				idx := -1
				for i, mp := range r.Mountpoints {
					if mp == m.dest && i > last {
						idx = i
						break
					}
				}
				require.Greater(t, idx, last, "mount %s missing or out of order in %v", m.dest, r.Mountpoints)
				last = idx
				if !tc.userns || (m.dest != "/sys") {
					require.Equal(t, m.typeSource, r.MountSources[m.dest], m.dest)
				}
			}
			require.Equal(t, int64(unix.TMPFS_MAGIC), r.CopyUpMagic)
			require.Equal(t, "copied", r.CopyUp, "tmpcopyup copies the covered directory's files")
			require.Equal(t, "sub/file", r.CopyUpLink)

			// Nothing leaked into the test's (host) mount namespace.
			host, err := mountinfo.GetMounts(nil)
			require.NoError(t, err)
			for _, m := range host {
				require.False(t, strings.HasPrefix(m.Mountpoint, bundle), "mount %s leaked to the host namespace", m.Mountpoint)
				require.NotEqual(t, "/tmp/x", m.Mountpoint)
			}
		})
	}
}

func TestIntegrationFinalizeWithoutProcfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates mount namespaces and mounts")
	}
	bundle := buildBundle(t, false)
	var spec specs.Spec
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &spec))
	// Only /dev: no /proc, so Finalize cannot use /proc/thread-self/fd.
	spec.Mounts = spec.Mounts[1:2]
	spec.Linux.MaskedPaths = []string{"/etc/secret", "/masked-dir"}
	spec.Linux.ReadonlyPaths = []string{"/ro-dir"}
	data, err = json.Marshal(spec)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644))

	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), helperEnv+"="+bundle)
	cmd.SysProcAttr = &stdsyscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNS}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "helper failed: %s", stderr.String())
	var r report
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &r), "helper output: %s", stdout.String())
	require.NotEqual(t, int64(unix.PROC_SUPER_MAGIC), r.ProcMagic, "no procfs in this container")
	require.Equal(t, "c 1:3 0666", r.DevNull)
	require.Zero(t, r.SecretLen, "masked file reads empty")
	require.Zero(t, r.MaskedDirEntries)
	require.Equal(t, "EROFS", r.ReadonlyPathErr)
	require.Equal(t, "EROFS", r.RootWriteErr)
}
