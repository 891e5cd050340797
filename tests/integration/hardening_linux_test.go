package integration

// Regression tests of the hardening runc learned through CVEs (issue 4
// item 4, ARCHITECTURE.md "Security requirements"), each attacked through
// a bundle and checked against the built binary from the host. The sealed
// init binary, fd leaks and symlinked mount destinations are in
// security_linux_test.go.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// cwdInsideRoot reports whether the cwd of pid lies under its root: it
// climbs ".." from /proc/<pid>/cwd until it meets the inode of
// /proc/<pid>/root or the top of the tree (a cwd on a host directory
// never meets the container root). It returns the inodes it walked.
func cwdInsideRoot(t *testing.T, pid int) (bool, []string) {
	t.Helper()
	var root unix.Stat_t
	require.NoError(t, unix.Stat(fmt.Sprintf("/proc/%d/root", pid), &root))
	fd, err := unix.Open(fmt.Sprintf("/proc/%d/cwd", pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	require.NoError(t, err, "open /proc/%d/cwd", pid)
	defer func() { unix.Close(fd) }()
	var walked []string
	for range 256 {
		var st unix.Stat_t
		require.NoError(t, unix.Fstat(fd, &st))
		walked = append(walked, fmt.Sprintf("%d:%d", st.Dev, st.Ino))
		if st.Dev == root.Dev && st.Ino == root.Ino {
			return true, walked
		}
		parent, err := unix.Openat(fd, "..", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		require.NoError(t, err)
		var pst unix.Stat_t
		require.NoError(t, unix.Fstat(parent, &pst))
		unix.Close(fd)
		fd = parent
		if pst.Dev == st.Dev && pst.Ino == st.Ino {
			return false, walked
		}
	}
	return false, walked
}

// TestHardeningCwdCheckTellsInsideFromOutside checks cwdInsideRoot itself
// (every attack below may be refused, leaving it unexercised): a chrooted
// sleep whose cwd stayed on the host (Go chroots and skips chdir when Dir
// is empty) is outside its root, one that chdir'd to "/" is inside.
func TestHardeningCwdCheckTellsInsideFromOutside(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}
	b := newBundle(t, baseSpec("true"))
	for _, tc := range []struct {
		dir    string
		inside bool
	}{{dir: "", inside: false}, {dir: "/", inside: true}} {
		cmd := exec.Command("/bin/sleep", "100")
		cmd.Dir = tc.dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: b.rootfs}
		require.NoError(t, cmd.Start())
		inside, walked := cwdInsideRoot(t, cmd.Process.Pid)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		require.Equal(t, tc.inside, inside, "chrooted sleep with Dir %q: inodes walked %v", tc.dir, walked)
	}
}

// TestHardeningCwdIsVerifiedInsideTheContainerRoot (CVE-2024-21626
// family): a process.cwd that reaches a host directory through a rootfs
// symlink or a leaked fd (/proc/self/fd/N) must either fail create with a
// one-line error or leave the process's cwd under the container root.
func TestHardeningCwdIsVerifiedInsideTheContainerRoot(t *testing.T) {
	r := newRuntime(t)
	host := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(host, "HOST-MARKER"), nil, 0o644))
	type tc struct {
		name string
		link string // symlink created in the rootfs ("" for none)
		to   string
		cwd  string
	}
	tests := []tc{
		// Controls: a cwd in the rootfs, directly or through a symlink
		// that stays inside, runs and passes the check below.
		{name: "control_plain_cwd", cwd: "/tmp"},
		{name: "control_symlink_inside_the_rootfs", link: "ok", to: "/tmp", cwd: "/ok"},
		{name: "symlink_to_absolute_host_dir", link: "evil", to: host, cwd: "/evil"},
		{name: "symlink_climbing_out_with_dotdot", link: "evil", to: "../../../../../../../../.." + host, cwd: "/evil"},
		{name: "dotdot_in_cwd_itself", cwd: "/../../../../../../../.." + host},
	}
	for n := 3; n <= 10; n++ {
		tests = append(tests, tc{name: fmt.Sprintf("leaked_fd_%d_as_cwd", n), cwd: fmt.Sprintf("/proc/self/fd/%d", n)})
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := baseSpec("sleep", "100")
			spec.Process.Cwd = tc.cwd
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			if tc.link != "" {
				require.NoError(t, os.Symlink(tc.to, filepath.Join(b.rootfs, tc.link)))
			}
			id := fmt.Sprintf("hcwd%d", i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--detach", "--bundle", b.dir, id)
			if strings.HasPrefix(tc.name, "control_") {
				require.Equal(t, 0, res.code, res.String())
			}
			if res.code != 0 {
				t.Logf("refused: %s", strings.TrimSpace(res.stderr))
				requireOneLineError(t, res)
				r.requireNothingLeft(t, snap, id, cg)
				return
			}
			pid := r.mustState(t, id).Pid
			eventually(t, 10*time.Second, "the container to exec sleep", func() bool {
				comm, _ := os.ReadFile(filepathJoinProc(pid, "comm"))
				return string(comm) == "sleep\n"
			})
			inside, walked := cwdInsideRoot(t, pid)
			cwdLink, _ := os.Readlink(filepathJoinProc(pid, "cwd"))
			require.True(t, inside, "cwd of the container process (%q, inodes %v) is not under its root", cwdLink, walked)
			_, err := os.Stat(filepath.Join(filepathJoinProc(pid, "cwd"), "HOST-MARKER"))
			require.True(t, os.IsNotExist(err), "the container process's cwd is the host directory %s (err %v)", host, err)
		})
	}
}

// TestHardeningProcAndSysAreRefusedOnSymlinks: /proc and /sys may only be
// mounted on real directories; a rootfs whose /proc or /sys is a symlink
// (to a host path or to a directory of the rootfs) fails create with a
// one-line error naming the destination and leaves nothing behind.
func TestHardeningProcAndSysAreRefusedOnSymlinks(t *testing.T) {
	r := newRuntime(t)
	host := t.TempDir()
	tests := []struct {
		name string
		dest string // "/proc" or "/sys"
		to   func(rootfs string) string
	}{
		{name: "proc_to_host_dir", dest: "/proc", to: func(string) string { return host }},
		{name: "proc_to_rootfs_dir", dest: "/proc", to: func(string) string { return "tmp" }},
		{name: "proc_climbing_out", dest: "/proc", to: func(string) string { return "../../../../../../../.." + host }},
		{name: "sys_to_host_dir", dest: "/sys", to: func(string) string { return host }},
		{name: "sys_to_rootfs_dir", dest: "/sys", to: func(string) string { return "tmp" }},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := baseSpec("true")
			spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}})
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			p := filepath.Join(b.rootfs, tc.dest)
			require.NoError(t, os.RemoveAll(p))
			require.NoError(t, os.Symlink(tc.to(b.rootfs), p))
			id := fmt.Sprintf("hps%d", i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "create", "--bundle", b.dir, id)
			requireOneLineError(t, res, tc.dest)
			r.requireNothingLeft(t, snap, id, cg)
			ents, err := os.ReadDir(host)
			require.NoError(t, err)
			require.Empty(t, ents, "the host directory %s got entries", host)
			fi, err := os.Lstat(filepath.Join(b.rootfs, "tmp"))
			require.NoError(t, err)
			require.True(t, fi.IsDir())
			ents, err = os.ReadDir(filepath.Join(b.rootfs, "tmp"))
			require.NoError(t, err)
			require.Empty(t, ents, "the rootfs /tmp got entries")
		})
	}
}

// TestHardeningMaskedPathsAreDevNullAndReadOnlyTmpfs (CVE-2025-31133): a
// masked file is the char device 1:3 and reads empty, a masked directory
// is an empty read-only tmpfs, also when the rootfs's own /dev/null is a
// symlink to a /proc file (the runtime must not bind what it points to).
func TestHardeningMaskedPathsAreDevNullAndReadOnlyTmpfs(t *testing.T) {
	r := newRuntime(t)
	var files, dirs []string
	for _, f := range []string{"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"} {
		if _, err := os.Stat(f); err == nil {
			files = append(files, f)
		}
	}
	for _, d := range []string{"/proc/acpi", "/proc/scsi", "/sys/firmware"} {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			dirs = append(dirs, d)
		}
	}
	require.NotEmpty(t, files, "no maskable /proc file exists on this host")
	require.NotEmpty(t, dirs, "no maskable directory exists on this host")

	var script strings.Builder
	for _, f := range files {
		fmt.Fprintf(&script, "echo \"F %s $(stat -L -c '%%t:%%T:%%F' %s) $(cat %s | wc -c)\"\n", f, f, f)
	}
	for _, d := range dirs {
		fmt.Fprintf(&script, "echo \"D %s $(stat -f -c %%T %s) $(ls -A %s | wc -l) $(touch %s/x 2>/dev/null && echo writable || echo readonly)\"\n", d, d, d, d)
	}
	tests := []struct {
		name     string
		ownDev   bool // the spec mounts no /dev: the rootfs's own /dev is used
		devNull  string
		wantFail bool
	}{
		{name: "dev_tmpfs"},
		{name: "rootfs_dev_null_is_a_symlink_to_core_pattern", ownDev: true, devNull: "/proc/sys/kernel/core_pattern"},
		{name: "rootfs_dev_null_is_a_symlink_to_proc_self_environ", ownDev: true, devNull: "/proc/self/environ"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := baseSpec("sh", "-c", script.String())
			spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}})
			if tc.ownDev {
				spec.Mounts = []specs.Mount{spec.Mounts[0], spec.Mounts[2]}
			}
			spec.Linux.MaskedPaths = append(append([]string{}, files...), dirs...)
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			if tc.devNull != "" {
				require.NoError(t, os.Symlink(tc.devNull, filepath.Join(b.rootfs, "dev", "null")))
			}
			id := fmt.Sprintf("hmask%d", i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			if tc.ownDev && res.code != 0 && !strings.HasPrefix(res.stdout, "F ") {
				// Refusing a /dev/null that is not the real device is
				// the other safe answer.
				t.Logf("refused: %s", strings.TrimSpace(res.stderr))
				requireOneLineError(t, res)
				r.requireNothingLeft(t, snap, id, cg)
				return
			}
			require.Equal(t, 0, res.code, res.String())
			t.Logf("container saw:\n%s", res.stdout)
			lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
			require.Len(t, lines, len(files)+len(dirs), res.String())
			for j, f := range files {
				require.Equal(t, fmt.Sprintf("F %s 1:3:character special file 0", f), lines[j], "masked file %s is not an empty /dev/null", f)
			}
			for j, d := range dirs {
				require.Equal(t, fmt.Sprintf("D %s tmpfs 0 readonly", d), lines[len(files)+j], "masked directory %s is not an empty read-only tmpfs", d)
			}
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}

// utsDomainname reads the NIS domain name of pid's UTS namespace from the
// kernel (setns + uname on a thread that is thrown away afterwards), so
// no file the container can fake is involved.
func utsDomainname(t *testing.T, pid int) string {
	t.Helper()
	type out struct {
		name string
		err  error
	}
	ch := make(chan out, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread has joined another namespace
		// and must die with this goroutine.
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/uts", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ch <- out{err: err}
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWUTS); err != nil {
			ch <- out{err: fmt.Errorf("setns uts of %d: %w", pid, err)}
			return
		}
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			ch <- out{err: err}
			return
		}
		ch <- out{name: unix.ByteSliceToString(u.Domainname[:])}
	}()
	o := <-ch
	require.NoError(t, o.err)
	return o.name
}

// TestHardeningSysctlsAreWrittenThroughTheRealProcfs (CVE-2019-16884,
// CVE-2025-52881): linux.sysctl reaches the kernel, also when the rootfs
// has a fake /proc tree or a bind mount covers /proc/sys: the fake files
// stay untouched and the kernel value (read from the host through the
// container's UTS namespace) is the spec's, or create fails with a
// one-line error.
func TestHardeningSysctlsAreWrittenThroughTheRealProcfs(t *testing.T) {
	r := newRuntime(t)
	const want = "gcit.hardening"
	const fake = "fake-domainname"
	tests := []struct {
		name      string
		noProc    bool // the spec mounts no /proc: the rootfs's fake /proc is all there is
		bindOver  bool // a bind of a fake tree over /proc/sys
		mayRefuse bool
	}{
		{name: "plain"},
		{name: "rootfs_fake_proc_without_proc_mount", noProc: true, mayRefuse: true},
		{name: "bind_mount_of_fake_tree_over_proc_sys", bindOver: true, mayRefuse: true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := baseSpec("sleep", "100")
			spec.Linux.Sysctl = map[string]string{"kernel.domainname": want}
			fakeTree := t.TempDir()
			fakeFile := filepath.Join(fakeTree, "kernel", "domainname")
			require.NoError(t, os.MkdirAll(filepath.Dir(fakeFile), 0o755))
			require.NoError(t, os.WriteFile(fakeFile, []byte(fake+"\n"), 0o644))
			if tc.noProc {
				spec.Mounts = spec.Mounts[1:]
			}
			if tc.bindOver {
				spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/proc/sys", Type: "bind", Source: fakeTree, Options: []string{"rbind", "rw"}})
			}
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			rootfsFake := filepath.Join(b.rootfs, "proc", "sys", "kernel", "domainname")
			require.NoError(t, os.MkdirAll(filepath.Dir(rootfsFake), 0o755))
			require.NoError(t, os.WriteFile(rootfsFake, []byte(fake+"\n"), 0o644))
			id := fmt.Sprintf("hsys%d", i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--detach", "--bundle", b.dir, id)
			for _, f := range []string{fakeFile, rootfsFake} {
				require.Equal(t, fake+"\n", readFile(t, f), "the sysctl was written to the fake file %s", f)
			}
			if res.code != 0 && tc.mayRefuse {
				t.Logf("refused: %s", strings.TrimSpace(res.stderr))
				requireOneLineError(t, res)
				r.requireNothingLeft(t, snap, id, cg)
				return
			}
			require.Equal(t, 0, res.code, res.String())
			pid := r.mustState(t, id).Pid
			require.Equal(t, want, utsDomainname(t, pid), "kernel.domainname of the container's UTS namespace")
			var host unix.Utsname
			require.NoError(t, unix.Uname(&host))
			require.NotEqual(t, want, unix.ByteSliceToString(host.Domainname[:]), "the sysctl changed the host's domainname")
			if !tc.noProc && !tc.bindOver {
				// And a container reads it back from its own /proc.
				spec.Process.Args = []string{"cat", "/proc/sys/kernel/domainname"}
				spec.Linux.CgroupsPath = uniqueCgroup(t)
				b.write(t, spec)
				out := r.run(t, "run", "--bundle", b.dir, id+"cat")
				r.deleteOnCleanup(t, id+"cat")
				require.Equal(t, 0, out.code, out.String())
				require.Equal(t, want+"\n", out.stdout)
			}
		})
	}
}

// procOwner is the owner uid of /proc/<pid>/name.
func procOwner(t *testing.T, pid int, name string) uint32 {
	t.Helper()
	var st unix.Stat_t
	require.NoError(t, unix.Stat(filepath.Join("/proc", strconv.Itoa(pid), name), &st))
	return st.Uid
}

// statusUids is the "Uid:" line of /proc/<pid>/status (real, effective,
// saved, fs).
func statusUids(t *testing.T, pid int) []string {
	t.Helper()
	for _, line := range strings.Split(readFile(t, filepathJoinProc(pid, "status")), "\n") {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatalf("no Uid line in /proc/%d/status", pid)
	return nil
}

// TestHardeningCreatedInitIsNotDumpable: while a container is created its
// init holds host resources (state dir, exec fifo, runtime fds) and must
// be non-dumpable, so that its /proc files are root's even when it already
// runs as the container user (uid 1000): a process of that uid (the
// container's own, or on the host) cannot ptrace it or read its fds. Once
// it has exec'd the user's program it is dumpable again and its /proc
// files belong to uid 1000 (which shows the check can tell). The kernel
// also clears dumpable when setuid changes the euid, so this catches a
// runtime that turns dumpable back on before start; the root case is
// TestHardeningCreatedRootInitIsNotReadableWithoutPtraceCap.
func TestHardeningCreatedInitIsNotDumpable(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("sleep", "100")
	spec.Process.User = specs.User{UID: 1000, GID: 1000}
	spec.Process.Capabilities = nil
	b := newBundle(t, spec)
	require.NoError(t, os.Chmod(b.rootfs, 0o755))
	id := "hdump"
	r.deleteOnCleanup(t, id)
	r.ok(t, "create", "--bundle", b.dir, id)
	pid := r.waitStatus(t, id, "created").Pid

	uids := statusUids(t, pid)
	t.Logf("created init %d: Uid %v", pid, uids)
	if uids[1] != "1000" {
		t.Skipf("the created init runs as euid %s, not the container user 1000: ownership of /proc/<pid> cannot show dumpability", uids[1])
	}
	for _, name := range []string{"environ", "fd", "mem", "cwd"} {
		require.Equal(t, uint32(0), procOwner(t, pid, name), "/proc/%d/%s of the created init (euid 1000) is not root's: the init is dumpable", pid, name)
	}

	r.ok(t, "start", id)
	eventually(t, 10*time.Second, "the container to exec sleep", func() bool {
		comm, _ := os.ReadFile(filepathJoinProc(pid, "comm"))
		return string(comm) == "sleep\n"
	})
	require.Equal(t, uint32(1000), procOwner(t, pid, "environ"), "after exec the container process should be dumpable (owned by uid 1000)")
}

// statusField is the value of one "Name:" line of /proc/<pid>/status.
func statusField(t *testing.T, pid int, name string) string {
	t.Helper()
	for _, line := range strings.Split(readFile(t, filepathJoinProc(pid, "status")), "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("no %s line in /proc/%d/status", name, pid)
	return ""
}

// TestHardeningCreatedRootInitIsNotReadableWithoutPtraceCap: a root
// container's created init holds host resources with the same uids as any
// root process, so only non-dumpability keeps a root process without
// capabilities (a container process sharing the pid namespace, say) from
// reading its memory or environ (ptrace_may_access: same uids and, both
// having no capabilities, a capability subset; what is left is dumpable).
// Once the init has exec'd the container program it is dumpable again and
// the same read succeeds, which shows the check can tell.
func TestHardeningCreatedRootInitIsNotReadableWithoutPtraceCap(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("sleep", "100")
	spec.Process.Capabilities = nil
	b := newBundle(t, spec)
	id := "hdumproot"
	r.deleteOnCleanup(t, id)
	r.ok(t, "create", "--bundle", b.dir, id)
	pid := r.waitStatus(t, id, "created").Pid

	// cat as root with no capability at all (an empty bounding set, so
	// root's execve grants none). With CAP_SYS_PTRACE merely dropped and
	// the others kept, this kernel allowed the read of a non-dumpable
	// process, so the attacker has none.
	readEnviron := func() (string, error) {
		return execCombined("setpriv", "--inh-caps=-all", "--bounding-set=-all", "cat", filepathJoinProc(pid, "environ"))
	}
	capPrm, err := strconv.ParseUint(statusField(t, pid, "CapPrm"), 16, 64)
	require.NoError(t, err)
	t.Logf("created init %d: Uid %s, CapPrm %#x", pid, statusField(t, pid, "Uid"), capPrm)
	require.Equal(t, "0\t0\t0\t0", statusField(t, pid, "Uid"))
	if capPrm != 0 {
		t.Skipf("the created init still holds capabilities (CapPrm %#x) although the spec grants none: the capability check alone refuses the read, dumpability cannot be observed", capPrm)
	}
	out, err := readEnviron()
	require.Error(t, err, "a root process without CAP_SYS_PTRACE read the created init's environ: the init is dumpable\n%s", out)
	require.Contains(t, out, "Permission denied")

	r.ok(t, "start", id)
	eventually(t, 10*time.Second, "the container to exec sleep", func() bool {
		comm, _ := os.ReadFile(filepathJoinProc(pid, "comm"))
		return string(comm) == "sleep\n"
	})
	out, err = readEnviron()
	require.NoError(t, err, "after exec the container process should be dumpable and its environ readable: %s", out)
	require.Contains(t, out, "HOME=/root")
}

func execCombined(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}
