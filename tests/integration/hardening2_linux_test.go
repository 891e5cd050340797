package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestHardeningStateDirIsPrivateAndTheInitHoldsTheFifoOnlyAsOPath
// (CVE-2016-9962): the state root is 0700 and a container's directory 0711,
// so no other host user can list them; the created init, which runs inside
// the container, holds the exec fifo only as an O_PATH handle (it reopens
// it write-only through procfs when it is time to start), never an open
// file or a handle on the state directory a container process could use.
func TestHardeningStateDirIsPrivateAndTheInitHoldsTheFifoOnlyAsOPath(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, baseSpec("sleep", "100"))
	id := "hstate"
	r.deleteOnCleanup(t, id)
	r.ok(t, "create", "--bundle", b.dir, id)
	pid := r.waitStatus(t, id, "created").Pid

	for path, want := range map[string]os.FileMode{r.root: 0o700, filepath.Join(r.root, id): 0o711} {
		st, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, want, st.Mode().Perm(), "mode of %s", path)
	}

	fdDir := filepathJoinProc(pid, "fd")
	ents, err := os.ReadDir(fdDir)
	require.NoError(t, err)
	stateDir := filepath.Join(r.root, id)
	var fifoFlags []string
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err != nil {
			continue
		}
		require.NotEqual(t, stateDir, link, "the created init holds fd %s on its state directory", e.Name())
		if !strings.HasPrefix(link, stateDir+"/") {
			continue
		}
		info := readFile(t, filepathJoinProc(pid, "fdinfo/"+e.Name()))
		var flags string
		for _, l := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(l, "flags:"); ok {
				flags = strings.TrimSpace(v)
			}
		}
		f, err := strconv.ParseUint(flags, 8, 64)
		require.NoError(t, err, "fdinfo of fd %s: %s", e.Name(), info)
		require.NotZero(t, f&unix.O_PATH, "fd %s -> %s is open without O_PATH (flags %s)", e.Name(), link, flags)
		require.Equal(t, filepath.Join(stateDir, "exec.fifo"), link, "the only state file the init may hold is the exec fifo")
		fifoFlags = append(fifoFlags, flags)
	}
	require.Len(t, fifoFlags, 1, "the created init should hold exactly one O_PATH handle on exec.fifo")

	r.ok(t, "start", id)
	r.waitStatus(t, id, "running")
}

// setuidProbeSrc prints the effective uid it runs with.
const setuidProbeSrc = `package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("euid=%d\n", os.Geteuid()) }
`

// TestHardeningNoNewPrivilegesStopsASetuidBinary: a setuid-root program in
// the image, run by the container's uid 1000, becomes root without
// no_new_privileges (which shows the attack works here) and stays uid 1000
// with it.
func TestHardeningNoNewPrivilegesStopsASetuidBinary(t *testing.T) {
	r := newRuntime(t)
	for _, nnp := range []bool{false, true} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", nnp), func(t *testing.T) {
			spec := baseSpec("/bin/suidprobe")
			spec.Process.User = specs.User{UID: 1000, GID: 1000}
			spec.Process.NoNewPrivileges = nnp
			b := newBundle(t, spec)
			require.NoError(t, os.Chmod(b.dir, 0o755))
			require.NoError(t, os.Chmod(filepath.Dir(b.dir), 0o755))
			buildStaticGo(t, b.rootfs, "suidprobe", setuidProbeSrc)
			probe := filepath.Join(b.rootfs, "bin", "suidprobe")
			require.NoError(t, os.Chown(probe, 0, 0))
			require.NoError(t, unix.Chmod(probe, 0o4755)) // os.Chmod wants os.ModeSetuid
			id := fmt.Sprintf("hsuid%v", nnp)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, 0, res.code, "%s", res)
			want := map[bool]string{false: "euid=0\n", true: "euid=1000\n"}[nnp]
			require.Equal(t, want, res.stdout, "%s", res)
		})
	}
}

// TestHardeningDevSymlinkToAHostDirectoryStaysInTheRootfs (CVE-2026-41579,
// CVE-2024-45310 family): an image whose /dev is a symlink to an absolute
// host path. The device nodes, /dev/ptmx and the /dev symlinks (and a
// /dev tmpfs mount, when the spec has one) must all land inside the
// rootfs: the host directory stays empty, whether the runtime refuses the
// bundle or builds /dev inside the rootfs.
func TestHardeningDevSymlinkToAHostDirectoryStaysInTheRootfs(t *testing.T) {
	r := newRuntime(t)
	for i, withDevMount := range []bool{true, false} {
		t.Run(fmt.Sprintf("dev_tmpfs_mount=%v", withDevMount), func(t *testing.T) {
			host := t.TempDir()
			snap := takeSnapshot(t)
			spec := baseSpec("sh", "-c", "ls /dev")
			if !withDevMount {
				spec.Mounts = spec.Mounts[:1] // /proc only
			}
			mode := os.FileMode(0o666)
			spec.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/gcit0", Type: "c", Major: 1, Minor: 3, FileMode: &mode}}
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			require.NoError(t, os.RemoveAll(filepath.Join(b.rootfs, "dev")))
			require.NoError(t, os.Symlink(host, filepath.Join(b.rootfs, "dev")))
			id := "hdevlink" + strconv.Itoa(i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			t.Logf("%s", res)
			if res.code != 0 {
				requireOneLineError(t, res)
			} else {
				require.Contains(t, res.stdout, "gcit0\n")
				require.Contains(t, res.stdout, "ptmx\n")
				require.Contains(t, res.stdout, "stdout\n")
			}
			ents, err := os.ReadDir(host)
			require.NoError(t, err)
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			require.Empty(t, names, "the runtime wrote into the host directory the image's /dev points to")
			r.ok(t, "delete", "-f", id)
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}

// TestHardeningMountsThatShadowProcAreRefused (CVE-2019-16884): a mount
// over procfs files the runtime or the kernel's LSM hooks later trust
// (/proc/self/attr, /proc/sys) is refused with one line naming the
// destination, and nothing is left behind; a bind of a host file on an
// lxcfs-style allow-listed file (/proc/uptime) is still allowed, which
// shows the check can tell.
func TestHardeningMountsThatShadowProcAreRefused(t *testing.T) {
	r := newRuntime(t)
	hostDir := t.TempDir()
	uptime := filepath.Join(hostDir, "uptime")
	require.NoError(t, os.WriteFile(uptime, []byte("12345.00 0.00\n"), 0o644))
	tests := []struct {
		name  string
		mount specs.Mount
		ok    bool
	}{
		{"tmpfs_on_proc_self_attr", specs.Mount{Destination: "/proc/self/attr", Type: "tmpfs", Source: "tmpfs"}, false},
		{"bind_on_proc_sys", specs.Mount{Destination: "/proc/sys", Type: "bind", Source: hostDir, Options: []string{"rbind", "rw"}}, false},
		{"bind_on_allow_listed_proc_uptime", specs.Mount{Destination: "/proc/uptime", Type: "bind", Source: uptime, Options: []string{"bind", "ro"}}, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := baseSpec("cat", "/proc/uptime")
			spec.Mounts = append(spec.Mounts, tc.mount)
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			id := "hproc" + strconv.Itoa(i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			if tc.ok {
				require.Equal(t, 0, res.code, "%s", res)
				require.Equal(t, "12345.00 0.00\n", res.stdout)
				return
			}
			t.Logf("stderr: %s", res.stderr)
			requireOneLineError(t, res, tc.mount.Destination, "/proc")
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}

// TestHardeningHostDevNullStdioIsReplacedByTheContainers: the runtime runs
// with the host's /dev/null as stdio (as the tests, and daemons, do); the
// container process must not keep that host inode, but the container's own
// /dev/null, as runc does after the root switch.
func TestHardeningHostDevNullStdioIsReplacedByTheContainers(t *testing.T) {
	r := newRuntime(t)
	var host unix.Stat_t
	require.NoError(t, unix.Stat("/dev/null", &host))
	b := newBundle(t, baseSpec("sleep", "100"))
	id := "hdevnull"
	r.deleteOnCleanup(t, id)
	r.ok(t, "run", "--detach", "--bundle", b.dir, id) // stdin is the host's /dev/null
	pid := r.mustState(t, id).Pid
	eventually(t, 10*time.Second, "the container to exec sleep", func() bool {
		comm, _ := os.ReadFile(filepathJoinProc(pid, "comm"))
		return string(comm) == "sleep\n"
	})
	var st, devNull unix.Stat_t
	require.NoError(t, unix.Stat(filepathJoinProc(pid, "fd/0"), &st))
	require.NoError(t, unix.Stat(filepathJoinProc(pid, "root/dev/null"), &devNull))
	require.Equal(t, unix.Mkdev(1, 3), st.Rdev, "fd 0 is a null device")
	require.False(t, st.Dev == host.Dev && st.Ino == host.Ino, "fd 0 of the container is still the host's /dev/null inode")
	require.Equal(t, [2]uint64{devNull.Dev, devNull.Ino}, [2]uint64{st.Dev, st.Ino}, "fd 0 is the container's /dev/null")
}

// TestHardeningSeccompListenerNeverReachesTheContainer: with
// SCMP_ACT_NOTIFY rules the init receives the listener fd when it loads the
// filter and hands it to the runtime; the container process must not hold
// it (a process holding its own filter's listener could answer its own
// trapped syscalls). The container's fds are read from the host.
func TestHardeningSeccompListenerNeverReachesTheContainer(t *testing.T) {
	r := newRuntime(t)
	for _, nnp := range []bool{false, true} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", nnp), func(t *testing.T) {
			sock := filepath.Join(t.TempDir(), "agent.sock")
			startNotifyAgent(t, sock, unix.ENOMEDIUM)
			spec := baseSpec("sleep", "100")
			spec.Process.NoNewPrivileges = nnp
			spec.Linux.Seccomp = notifyProfile(sock)
			b := newBundle(t, spec)
			id := fmt.Sprintf("hlistener%v", nnp)
			r.deleteOnCleanup(t, id)
			r.ok(t, "run", "--detach", "--bundle", b.dir, id)
			pid := r.mustState(t, id).Pid
			eventually(t, 10*time.Second, "the container to exec sleep", func() bool {
				comm, _ := os.ReadFile(filepathJoinProc(pid, "comm"))
				return string(comm) == "sleep\n"
			})
			ents, err := os.ReadDir(filepathJoinProc(pid, "fd"))
			require.NoError(t, err)
			got := map[string]string{}
			for _, e := range ents {
				got[e.Name()], _ = os.Readlink(filepath.Join(filepathJoinProc(pid, "fd"), e.Name()))
			}
			require.Len(t, got, 3, "the container process holds only stdio: %v", got)
			for fd, link := range got {
				require.NotContains(t, link, "seccomp", "fd %s is a seccomp listener", fd)
			}
		})
	}
}

// keyringProbeSrc prints the id of the calling process's session keyring
// (keyctl KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING, not created).
const keyringProbeSrc = `package main

import (
	"fmt"
	"os"
	"syscall"
)

func main() {
	const keyctl, getKeyringID = 250, 0
	id, _, e := syscall.Syscall(keyctl, getKeyringID, ^uintptr(2), 0)
	if e != 0 {
		fmt.Println("error", int(e))
		os.Exit(1)
	}
	fmt.Println(int32(id))
}
`

// TestHardeningEachContainerGetsItsOwnSessionKeyring: the init joins a new
// session keyring (_ses.<id>), so keys a container adds are neither the
// caller's session keys nor another container's. With --no-new-keyring two
// containers both keep the caller's (the same keyring), which shows the
// probe tells shared from separate keyrings. (Session keyrings belong to
// a thread's credentials, so the test process's own keyring, which depends
// on the thread asking, is not the reference.)
func TestHardeningEachContainerGetsItsOwnSessionKeyring(t *testing.T) {
	r := newRuntime(t)
	run := func(id string, extra ...string) string {
		b := newBundle(t, baseSpec("/bin/keyring"))
		buildStaticGo(t, b.rootfs, "keyring", keyringProbeSrc)
		r.deleteOnCleanup(t, id)
		res := r.run(t, append(append([]string{"run"}, extra...), "--bundle", b.dir, id)...)
		require.Equal(t, 0, res.code, "%s", res)
		return strings.TrimSpace(res.stdout)
	}
	a, b := run("hkeya"), run("hkeyb")
	shared1, shared2 := run("hkeyc", "--no-new-keyring"), run("hkeyd", "--no-new-keyring")
	t.Logf("session keyrings: a %s, b %s, --no-new-keyring %s and %s", a, b, shared1, shared2)
	require.Equal(t, shared1, shared2, "--no-new-keyring containers keep the caller's session keyring")
	require.NotEqual(t, a, b, "two containers share a session keyring")
	require.NotEqual(t, shared1, a, "container A uses the caller's session keyring")
	require.NotEqual(t, shared1, b, "container B uses the caller's session keyring")
}
