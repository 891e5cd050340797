package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The kernel's seccomp user-notification structures (linux/seccomp.h);
// x/sys/unix has the ioctl numbers but not the types.
type seccompData struct {
	Nr                 int32
	Arch               uint32
	InstructionPointer uint64
	Args               [6]uint64
}

type seccompNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Data  seccompData
}

type seccompNotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// Compile-time size checks against the sizes encoded in the ioctl numbers
// (SECCOMP_IOCTL_NOTIF_RECV is _IOWR('!', 0, 80 bytes), SEND 24 bytes).
var (
	_ [80]byte = [unsafe.Sizeof(seccompNotif{})]byte{}
	_ [24]byte = [unsafe.Sizeof(seccompNotifResp{})]byte{}
)

// notifyAgent is a seccomp agent: it accepts one connection on a unix
// socket, reads the container process state and the listener fd, and
// answers every notification with -answer.
type notifyAgent struct {
	answer unix.Errno

	mu        sync.Mutex
	state     specs.ContainerProcessState
	rawState  string
	fdTarget  string // readlink of the received fd
	seccompAt string // the init's Seccomp: line when the fd arrived
	syscalls  []int32
	err       error
	done      chan struct{}
}

func startNotifyAgent(t *testing.T, path string, answer unix.Errno) *notifyAgent {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	require.NoError(t, err)
	a := &notifyAgent{answer: answer, done: make(chan struct{})}
	stop := make(chan struct{})
	t.Cleanup(func() {
		close(stop)
		ln.Close()
		<-a.done
	})
	go func() {
		defer close(a.done)
		if err := a.serve(ln, stop); err != nil {
			a.mu.Lock()
			a.err = err
			a.mu.Unlock()
		}
	}()
	return a
}

func (a *notifyAgent) serve(ln *net.UnixListener, stop <-chan struct{}) error {
	conn, err := ln.AcceptUnix()
	if err != nil {
		return fmt.Errorf("accept: %w", err)
	}
	defer conn.Close()
	var (
		data []byte
		fds  []int
	)
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4))
	// The runtime sends one message and closes: read to EOF.
	for {
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		data = append(data, buf[:n]...)
		if oobn > 0 {
			msgs, perr := unix.ParseSocketControlMessage(oob[:oobn])
			if perr != nil {
				return perr
			}
			for i := range msgs {
				got, perr := unix.ParseUnixRights(&msgs[i])
				if perr == nil {
					fds = append(fds, got...)
				}
			}
		}
		if err != nil || n == 0 {
			break
		}
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return fmt.Errorf("got %d fds with the state, want 1", len(fds))
	}
	fd := fds[0]
	defer unix.Close(fd)
	var st specs.ContainerProcessState
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("decode state %q: %w", data, err)
	}
	target, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", st.Pid))
	var seccompLine string
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "Seccomp:") {
			seccompLine = l
		}
	}
	a.mu.Lock()
	a.state, a.rawState, a.fdTarget, a.seccompAt = st, string(data), target, seccompLine
	a.mu.Unlock()

	// Answer notifications until every process using the filter is gone
	// (POLLHUP) or the test ends.
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, 100)
		if err == unix.EINTR || n == 0 {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll listener: %w", err)
		}
		if pfd[0].Revents&unix.POLLIN == 0 {
			return nil // POLLHUP: the container is gone
		}
		var req seccompNotif
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(unix.SECCOMP_IOCTL_NOTIF_RECV), uintptr(unsafe.Pointer(&req))); e != 0 {
			if e == unix.EINTR || e == unix.ENOENT {
				continue // the trapped task died meanwhile
			}
			return fmt.Errorf("SECCOMP_IOCTL_NOTIF_RECV: %w", e)
		}
		a.mu.Lock()
		a.syscalls = append(a.syscalls, req.Data.Nr)
		a.mu.Unlock()
		resp := seccompNotifResp{ID: req.ID, Error: -int32(a.answer)}
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(unix.SECCOMP_IOCTL_NOTIF_SEND), uintptr(unsafe.Pointer(&resp))); e != 0 && e != unix.ENOENT {
			return fmt.Errorf("SECCOMP_IOCTL_NOTIF_SEND: %w", e)
		}
	}
}

// notifyProfile traps mkdir and mkdirat to the agent at path.
func notifyProfile(path string) *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{
		DefaultAction:    specs.ActAllow,
		ListenerPath:     path,
		ListenerMetadata: "gcit-agent-metadata",
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActNotify},
		},
	}
}

// TestSeccompNotifyListenerAnswersSyscall: with SCMP_ACT_NOTIFY rules the
// runtime hands the listener fd and the container process state to the
// agent at listenerPath; the agent's answer (ENOMEDIUM, which nothing else
// would return) is what mkdir gets inside the container, while syscalls
// outside the rules run normally. Both filter placements are covered:
// before the capability drop (no NNP) and right before exec (NNP).
func TestSeccompNotifyListenerAnswersSyscall(t *testing.T) {
	r := newRuntime(t)
	for _, nnp := range []bool{false, true} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", nnp), func(t *testing.T) {
			sock := filepath.Join(t.TempDir(), "agent.sock")
			agent := startNotifyAgent(t, sock, unix.ENOMEDIUM)

			snap := takeSnapshot(t)
			spec := baseSpec("sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?; touch /tmp/y && echo touched; grep '^Seccomp:' /proc/self/status")
			spec.Process.NoNewPrivileges = nnp
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			spec.Linux.Seccomp = notifyProfile(sock)
			b := newBundle(t, spec)
			id := "notify"
			r.deleteOnCleanup(t, id)

			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, 0, res.code, "%s", res)
			require.Equal(t,
				"mkdir: can't create directory '/tmp/x': No medium found\nrc=1\ntouched\nSeccomp:\t2\n",
				res.stdout, "%s", res)

			select {
			case <-agent.done:
			case <-time.After(5 * time.Second):
				t.Fatal("the agent did not see the container go away (POLLHUP)")
			}
			agent.mu.Lock()
			defer agent.mu.Unlock()
			require.NoError(t, agent.err)
			st := agent.state
			t.Logf("container process state: %s", agent.rawState)
			require.Equal(t, specs.Version, st.Version)
			require.Equal(t, []string{"seccompFd"}, st.Fds)
			require.Equal(t, "gcit-agent-metadata", st.Metadata)
			require.Positive(t, st.Pid)
			require.Equal(t, st.Pid, st.State.Pid, "state.pid is the init's host pid too")
			require.Equal(t, id, st.State.ID)
			require.Equal(t, specs.StateCreating, st.State.Status)
			require.Equal(t, b.dir, st.State.Bundle)
			require.Equal(t, spec.Version, st.State.Version)
			require.Equal(t, "anon_inode:seccomp notify", agent.fdTarget, "the fd passed is a seccomp listener")
			require.Equal(t, "Seccomp:\t2", agent.seccompAt, "pid %d had the filter when the fd arrived", st.Pid)
			// mkdir is 83 and mkdirat 258 on x86_64; busybox uses one of
			// them, and only those may reach the agent.
			require.NotEmpty(t, agent.syscalls)
			for _, nr := range agent.syscalls {
				require.Contains(t, []int32{unix.SYS_MKDIR, unix.SYS_MKDIRAT}, nr)
			}
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}

// TestSeccompNotifyBadInput: NOTIFY where the runtime cannot honour it, or
// an agent that cannot be reached, fails create with one line naming the
// field, and leaves nothing behind.
func TestSeccompNotifyBadInput(t *testing.T) {
	r := newRuntime(t)
	tests := []struct {
		name string
		edit func(s *specs.LinuxSeccomp)
		want []string
	}{
		{"notify_default_action", func(s *specs.LinuxSeccomp) { s.DefaultAction = specs.ActNotify }, []string{"linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY"}},
		{"notify_on_write", func(s *specs.LinuxSeccomp) { s.Syscalls[0].Names = []string{"mkdir", "write"} }, []string{"linux.seccomp.syscalls[0].names[1]", "write"}},
		{"notify_without_listener_path", func(s *specs.LinuxSeccomp) { s.ListenerPath, s.ListenerMetadata = "", "" }, []string{"linux.seccomp.listenerPath", "SCMP_ACT_NOTIFY"}},
		{"metadata_without_listener_path", func(s *specs.LinuxSeccomp) { s.ListenerPath = "" }, []string{"linux.seccomp.listenerMetadata"}},
		{"nobody_listening", func(s *specs.LinuxSeccomp) {}, []string{"linux.seccomp.listenerPath", "connect"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A path nothing listens on: create must fail, not hang.
			sock := filepath.Join(t.TempDir(), "nobody.sock")
			snap := takeSnapshot(t)
			spec := baseSpec("sleep", "100")
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			spec.Linux.Seccomp = notifyProfile(sock)
			tc.edit(spec.Linux.Seccomp)
			b := newBundle(t, spec)
			id := "badnotify"
			r.deleteOnCleanup(t, id)
			res := r.run(t, "create", "--bundle", b.dir, id)
			t.Logf("stderr: %s", res.stderr)
			requireOneLineError(t, res, tc.want...)
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}

// TestSeccompNotifyListenerPathWithoutNotifyRulesIsIgnored: runtime-spec
// says listenerPath is ignored when no rule uses SCMP_ACT_NOTIFY.
func TestSeccompNotifyListenerPathWithoutNotifyRulesIsIgnored(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("sh", "-c", "mkdir /tmp/x 2>/dev/null; echo rc=$?")
	spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		ListenerPath:  filepath.Join(t.TempDir(), "nobody.sock"),
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
	}
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, "notifyignored")
	res := r.run(t, "run", "--bundle", b.dir, "notifyignored")
	require.Equal(t, 0, res.code, "%s", res)
	require.Equal(t, "rc=1\n", res.stdout)
}
