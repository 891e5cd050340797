package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// pidfdReceiver is containerd's side of --pidfd-socket: a listening
// AF_UNIX stream socket that takes one fd.
type pidfdReceiver struct {
	path string
	fds  chan int
}

func newPidfdReceiver(t *testing.T) *pidfdReceiver {
	t.Helper()
	dir, err := os.MkdirTemp("", "gcit-pidfd-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	pr := &pidfdReceiver{path: filepath.Join(dir, "pidfd.sock"), fds: make(chan int, 1)}
	l, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	require.NoError(t, unix.Bind(l, &unix.SockaddrUnix{Name: pr.path}))
	require.NoError(t, unix.Listen(l, 1))
	t.Cleanup(func() { unix.Close(l) })
	go func() {
		c, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
		if err != nil {
			return
		}
		defer unix.Close(c)
		oob := make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := unix.Recvmsg(c, make([]byte, 64), oob, unix.MSG_CMSG_CLOEXEC)
		if err != nil {
			return
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			return
		}
		if fds, err := unix.ParseUnixRights(&msgs[0]); err == nil && len(fds) == 1 {
			pr.fds <- fds[0]
		}
	}()
	return pr
}

// receive returns the pidfd and the pid it refers to (its fdinfo).
func (pr *pidfdReceiver) receive(t *testing.T) (int, int) {
	t.Helper()
	select {
	case fd := <-pr.fds:
		t.Cleanup(func() { unix.Close(fd) })
		info := readFile(t, "/proc/self/fdinfo/"+strconv.Itoa(fd))
		for _, l := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(l, "Pid:"); ok {
				pid, err := strconv.Atoi(strings.TrimSpace(v))
				require.NoError(t, err)
				return fd, pid
			}
		}
		t.Fatalf("fd %d is not a pidfd: %s", fd, info)
	case <-time.After(cmdTimeout):
		t.Fatal("no pidfd on the socket")
	}
	return -1, 0
}

func TestPidfdSocketGetsTheInitAndTheExecProcess(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, baseSpec("sleep", "1000"))
	id := "pidfd1"
	r.deleteOnCleanup(t, id)

	pr := newPidfdReceiver(t)
	r.ok(t, "create", "--pidfd-socket", pr.path, "--bundle", b.dir, id)
	fd, pid := pr.receive(t)
	require.Equal(t, r.mustState(t, id).Pid, pid, "the pidfd is the init's")
	r.ok(t, "start", id)

	pr = newPidfdReceiver(t)
	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	r.ok(t, "exec", "--detach", "--pid-file", pidFile, "--pidfd-socket", pr.path, id, "sleep", "999")
	efd, epid := pr.receive(t)
	require.Equal(t, readFile(t, pidFile), strconv.Itoa(epid), "the pidfd is the exec'd process's")
	require.NoError(t, unix.PidfdSendSignal(efd, unix.SIGKILL, nil, 0))
	eventually(t, 10*time.Second, "the exec'd process to die", func() bool { reapZombies(); return !pidAlive(epid) })

	// The init's pidfd signals the init.
	require.NoError(t, unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0))
	r.waitStatus(t, id, "stopped")
}

func TestPidfdSocketThatIsNotListeningFailsAlone(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	spec := baseSpec("true")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	missing := filepath.Join(t.TempDir(), "nobody.sock")
	for _, cmd := range []string{"create", "run"} {
		id := "pidfdbad" + cmd
		r.deleteOnCleanup(t, id)
		res := r.run(t, cmd, "--pidfd-socket", missing, "--bundle", b.dir, id)
		requireOneLineError(t, res, "--pidfd-socket", missing)
		r.requireNothingLeft(t, snap, id, cg)
	}
}
