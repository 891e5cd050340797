package console

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// hostPty allocates a pty on the host's devpts, or skips when this process
// may not (the host's /dev/pts/ptmx is usually mode 000: root only).
func hostPty(t *testing.T) *Pty {
	t.Helper()
	p, err := OpenPty("/dev/pts")
	if os.IsPermission(err) {
		t.Skipf("cannot allocate a pty from /dev/pts/ptmx: %v", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// ptmxPair is a pty pair from the host's /dev/ptmx, the way a terminal
// emulator gets one, for the termios tests.
func ptmxPair(t *testing.T) (master, slave *os.File) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	master = os.NewFile(uintptr(fd), "/dev/ptmx")
	t.Cleanup(func() { master.Close() })
	require.NoError(t, unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0))
	sfd, err := ioctlGetPeer(fd, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	require.NoError(t, err)
	slave = os.NewFile(uintptr(sfd), "pty-slave")
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

// readUntil reads f until the output contains want or the deadline passes.
func readUntil(t *testing.T, f *os.File, want string) string {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		var out bytes.Buffer
		buf := make([]byte, 1024)
		for {
			n, err := f.Read(buf)
			out.Write(buf[:n])
			if strings.Contains(out.String(), want) || err != nil {
				got <- out.String()
				return
			}
		}
	}()
	select {
	case s := <-got:
		require.Contains(t, s, want)
		return s
	case <-time.After(10 * time.Second):
		t.Fatalf("no %q within 10s", want)
	}
	return ""
}

func TestOpenPtySlaveIsThePeerOfTheMaster(t *testing.T) {
	p := hostPty(t)
	var st unix.Stat_t
	require.NoError(t, unix.Fstat(int(p.Slave.Fd()), &st))
	require.Equal(t, p.Number, int(unix.Major(st.Rdev)-ptySlaveMajor0)*256+int(unix.Minor(st.Rdev)))
	require.Equal(t, fmt.Sprintf("/dev/pts/%d", p.Number), p.Slave.Name())

	_, err := p.Slave.WriteString("from-slave\n")
	require.NoError(t, err)
	readUntil(t, p.Master, "from-slave")
	// Both ends are close-on-exec: nothing leaks into a child.
	for _, f := range []*os.File{p.Master, p.Slave} {
		flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
		require.NoError(t, err)
		require.NotZero(t, flags&unix.FD_CLOEXEC, f.Name())
	}
}

func TestOpenPtyRefusesWhatIsNotADevptsPtmx(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mknod of a ptmx look-alike needs root")
	}
	tests := []struct {
		name string
		make func(dir string) error
		want string
	}{
		{"regular file", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "ptmx"), nil, 0o666)
		}, "not on a devpts"},
		{"symlink to the real ptmx", func(dir string) error {
			return os.Symlink("/dev/pts/ptmx", filepath.Join(dir, "ptmx"))
		}, "not on a devpts"},
		{"ptmx device node outside devpts", func(dir string) error {
			return unix.Mknod(filepath.Join(dir, "ptmx"), unix.S_IFCHR|0o666, int(unix.Mkdev(5, 2)))
		}, "not on a devpts"},
		{"missing", func(string) error { return nil }, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, tt.make(dir))
			_, err := OpenPty(dir)
			require.ErrorContains(t, err, tt.want)
		})
	}
	t.Run("devpts root is not ptmx", func(t *testing.T) {
		// /dev/pts/0 may not exist; the devpts root itself (inode 1) is
		// on devpts but is no ptmx.
		h, err := unix.Open("/dev/pts", unix.O_PATH|unix.O_CLOEXEC, 0)
		require.NoError(t, err)
		defer unix.Close(h)
		_, err = verifyPtmx(h, "/dev/pts")
		require.ErrorContains(t, err, "is not the ptmx of a devpts")
	})
}

func TestSendAndReceiveMaster(t *testing.T) {
	p := hostPty(t)
	runtimeEnd, containerEnd, err := NewSocketPair()
	require.NoError(t, err)
	defer runtimeEnd.Close()
	defer containerEnd.Close()

	require.NoError(t, SendMaster(containerEnd, p.Master))
	got, err := RecvMaster(runtimeEnd)
	require.NoError(t, err)
	defer got.Close()
	require.Equal(t, MasterName, got.Name())
	flags, err := unix.FcntlInt(got.Fd(), unix.F_GETFD, 0)
	require.NoError(t, err)
	require.NotZero(t, flags&unix.FD_CLOEXEC, "received master must be close-on-exec")

	// The received fd is the same master: what the slave writes shows
	// on it, and what is written to it reaches the slave.
	_, err = p.Slave.WriteString("ping\n")
	require.NoError(t, err)
	readUntil(t, got, "ping")
	_, err = got.WriteString("pong\n")
	require.NoError(t, err)
	readUntil(t, p.Slave, "pong")
}

func TestRecvMasterFailsWithoutAnFd(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		a, b, err := NewSocketPair()
		require.NoError(t, err)
		defer a.Close()
		b.Close()
		_, err = RecvMaster(a)
		require.ErrorContains(t, err, "closed the socket without sending one")
	})
	t.Run("plain data", func(t *testing.T) {
		a, b, err := NewSocketPair()
		require.NoError(t, err)
		defer a.Close()
		defer b.Close()
		_, err = b.WriteString("no fd")
		require.NoError(t, err)
		_, err = RecvMaster(a)
		require.ErrorContains(t, err, "got 0 fds, want 1")
	})
}

func TestDialConnectsToAListener(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.sock")
	l, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(l)
	require.NoError(t, unix.Bind(l, &unix.SockaddrUnix{Name: path}))
	require.NoError(t, unix.Listen(l, 1))

	f, err := Dial(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = Dial(filepath.Join(t.TempDir(), "none.sock"))
	require.ErrorContains(t, err, "none.sock: connect: no such file or directory")
}

func TestSetRawAndRestore(t *testing.T) {
	_, slave := ptmxPair(t)
	before, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	require.NoError(t, err)
	require.NotZero(t, before.Lflag&unix.ICANON, "a new pty starts in canonical mode")

	st, err := SetRaw(slave)
	require.NoError(t, err)
	raw, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	require.NoError(t, err)
	require.Zero(t, raw.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG|unix.IEXTEN))
	require.Zero(t, raw.Oflag&unix.OPOST)
	require.Zero(t, raw.Iflag&(unix.ICRNL|unix.IXON))
	require.Equal(t, uint8(1), raw.Cc[unix.VMIN])

	require.NoError(t, st.Restore())
	after, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	require.NoError(t, err)
	require.Equal(t, *before, *after)

	f, err := os.CreateTemp(t.TempDir(), "notatty")
	require.NoError(t, err)
	defer f.Close()
	require.False(t, IsTerminal(f))
	_, err = SetRaw(f)
	require.ErrorContains(t, err, "ioctl TCGETS")
}

func TestWindowSizeCopy(t *testing.T) {
	m1, s1 := ptmxPair(t)
	_, s2 := ptmxPair(t)
	require.NoError(t, SetSize(m1, 31, 97))
	rows, cols, err := Size(s1)
	require.NoError(t, err)
	require.Equal(t, [2]uint16{31, 97}, [2]uint16{rows, cols})
	require.NoError(t, CopySize(s2, s1))
	rows, cols, err = Size(s2)
	require.NoError(t, err)
	require.Equal(t, [2]uint16{31, 97}, [2]uint16{rows, cols})
}

func TestRelayCopiesBothWaysInRawModeAndRestores(t *testing.T) {
	// The user's terminal: the test types on userMaster, the relay reads
	// and writes userSlave as the runtime's stdio.
	userMaster, userSlave := ptmxPair(t)
	// The container's terminal: the relay gets its master, the test
	// plays the container process on slave.
	ctrMaster, ctrSlave := ptmxPair(t)
	require.NoError(t, SetSize(userMaster, 40, 120))
	before, err := unix.IoctlGetTermios(int(userSlave.Fd()), unix.TCGETS)
	require.NoError(t, err)

	dup, err := unix.FcntlInt(ctrMaster.Fd(), unix.F_DUPFD_CLOEXEC, 3)
	require.NoError(t, err)
	r, err := NewRelay(os.NewFile(uintptr(dup), "/dev/ptmx"), userSlave, userSlave, userSlave)
	require.NoError(t, err)
	ctrMaster.Close()

	raw, err := unix.IoctlGetTermios(int(userSlave.Fd()), unix.TCGETS)
	require.NoError(t, err)
	require.Zero(t, raw.Lflag&(unix.ICANON|unix.ECHO), "user terminal must be raw while relaying")
	rows, cols, err := Size(ctrSlave)
	require.NoError(t, err)
	require.Equal(t, [2]uint16{40, 120}, [2]uint16{rows, cols}, "initial size comes from the user's terminal")

	// Typing reaches the container.
	_, err = userMaster.WriteString("typed\n")
	require.NoError(t, err)
	readUntil(t, ctrSlave, "typed")
	_, err = ctrSlave.WriteString("output\n")
	require.NoError(t, err)
	readUntil(t, userMaster, "output")

	require.NoError(t, SetSize(userMaster, 50, 132))
	require.NoError(t, r.Resize())
	rows, cols, err = Size(ctrSlave)
	require.NoError(t, err)
	require.Equal(t, [2]uint16{50, 132}, [2]uint16{rows, cols})

	// Last words of the container, then its end: Close delivers them.
	_, err = ctrSlave.WriteString("bye\n")
	require.NoError(t, err)
	ctrSlave.Close()
	done := make(chan string, 1)
	go func() {
		var out bytes.Buffer
		buf := make([]byte, 256)
		for !strings.Contains(out.String(), "bye") {
			n, err := userMaster.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				break
			}
		}
		done <- out.String()
	}()
	require.NoError(t, r.Close(5*time.Second))
	require.Contains(t, <-done, "bye")
	after, err := unix.IoctlGetTermios(int(userSlave.Fd()), unix.TCGETS)
	require.NoError(t, err)
	require.Equal(t, *before, *after, "user terminal restored")
}

func TestRelayCloseStopsWhenTheSlaveStaysOpen(t *testing.T) {
	userMaster, userSlave := ptmxPair(t)
	_ = userMaster
	ctrMaster, ctrSlave := ptmxPair(t)
	_ = ctrSlave
	dup, err := unix.FcntlInt(ctrMaster.Fd(), unix.F_DUPFD_CLOEXEC, 3)
	require.NoError(t, err)
	r, err := NewRelay(os.NewFile(uintptr(dup), "/dev/ptmx"), nil, userSlave, nil)
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, r.Close(100*time.Millisecond))
	require.Less(t, time.Since(start), 5*time.Second)
}

// TestSetup runs Setup in a child (it changes the session and stdio of its
// caller) in a mount namespace of its own, so its /dev/console bind is
// private: the child reports what its stdio, controlling terminal and
// /dev/console are through the terminal it got.
func TestSetup(t *testing.T) {
	if os.Getenv("CONSOLE_SETUP_CHILD") == "1" {
		setupChild()
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("Setup with MountConsole needs root (mount namespace, bind mount)")
	}
	hostPty(t) // skips where no pty can be had
	runtimeEnd, containerEnd, err := NewSocketPair()
	require.NoError(t, err)
	defer runtimeEnd.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSetup$", "-test.v")
	cmd.Env = append(os.Environ(), "CONSOLE_SETUP_CHILD=1")
	cmd.ExtraFiles = []*os.File{containerEnd}
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	// A file, not a buffer: the child writes it until Setup replaces
	// its stderr.
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	require.NoError(t, err)
	defer stderr.Close()
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	containerEnd.Close()
	defer cmd.Wait()

	master, err := RecvMaster(runtimeEnd)
	if err != nil {
		_ = cmd.Wait()
		msg, _ := os.ReadFile(stderr.Name())
		t.Fatalf("receive master: %v; child stderr: %s", err, msg)
	}
	defer master.Close()
	out := readUntil(t, master, "END")
	require.NoError(t, cmd.Wait(), out)
	require.Regexp(t, `stdin=/dev/pts/\d+ stdout=/dev/pts/\d+ stderr=/dev/pts/\d+`, out)
	require.Contains(t, out, "size=33x101")
	require.Contains(t, out, "ctty=ok")
	require.Contains(t, out, "console=same")
	require.Contains(t, out, "owner=4242")
}

func setupChild() {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	// The namespace is a copy of the host's: keep the bind in it.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fail(err)
	}
	sock := os.NewFile(3, "console")
	if err := Setup(SetupOptions{Socket: sock, Size: &specs.Box{Height: 33, Width: 101}, MountConsole: true, UID: 4242}); err != nil {
		fail(err)
	}
	sock.Close()
	var links []string
	for _, n := range []string{"stdin", "stdout", "stderr"} {
		l, _ := os.Readlink("/proc/self/fd/" + map[string]string{"stdin": "0", "stdout": "1", "stderr": "2"}[n])
		links = append(links, n+"="+l)
	}
	fmt.Println(strings.Join(links, " "))
	rows, cols, _ := Size(os.Stdout)
	fmt.Printf("size=%dx%d\n", rows, cols)
	// TIOCGSID succeeds only on the caller's controlling terminal.
	if sid, err := unix.IoctlGetInt(0, unix.TIOCGSID); err == nil && sid == unix.Getpid() {
		fmt.Println("ctty=ok")
	} else {
		fmt.Println("ctty=", sid, err)
	}
	var c, s unix.Stat_t
	_ = unix.Stat("/dev/console", &c)
	_ = unix.Fstat(0, &s)
	if c.Rdev == s.Rdev && c.Ino == s.Ino {
		fmt.Println("console=same")
	} else {
		fmt.Printf("console=%d:%d\n", unix.Major(c.Rdev), unix.Minor(c.Rdev))
	}
	fmt.Printf("owner=%d\n", s.Uid)
	fmt.Println("END")
	os.Exit(0)
}
