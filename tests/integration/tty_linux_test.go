package integration

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// terminalSpec is baseSpec with process.terminal and the devpts every
// terminal container mounts (runc's spec defaults).
func terminalSpec(args ...string) *specs.Spec {
	spec := baseSpec(args...)
	spec.Process.Terminal = true
	withDevpts(spec)
	return spec
}

// consoleReceiver is what containerd's shim or conmon does with
// --console-socket: listen on a SOCK_STREAM unix socket, accept the
// runtime's connection and take the pty master from its one message.
type consoleReceiver struct {
	path   string
	master chan *os.File
	err    chan error
}

func newConsoleReceiver(t *testing.T) *consoleReceiver {
	t.Helper()
	// A short directory: sun_path holds 108 bytes.
	dir, err := os.MkdirTemp("", "gcit-cs-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	cr := &consoleReceiver{path: filepath.Join(dir, "console.sock"), master: make(chan *os.File, 1), err: make(chan error, 1)}
	l, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	require.NoError(t, unix.Bind(l, &unix.SockaddrUnix{Name: cr.path}))
	require.NoError(t, unix.Listen(l, 1))
	t.Cleanup(func() { unix.Close(l) })
	go func() {
		c, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
		if err != nil {
			cr.err <- err
			return
		}
		defer unix.Close(c)
		buf := make([]byte, 256)
		oob := make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := unix.Recvmsg(c, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != nil {
			cr.err <- err
			return
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			cr.err <- errors.New("no control message with the master")
			return
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			cr.err <- errors.New("control message does not carry one fd")
			return
		}
		cr.master <- os.NewFile(uintptr(fds[0]), "master")
	}()
	return cr
}

// receive waits for the master.
func (cr *consoleReceiver) receive(t *testing.T) *os.File {
	t.Helper()
	select {
	case m := <-cr.master:
		t.Cleanup(func() { m.Close() })
		return m
	case err := <-cr.err:
		t.Fatalf("console socket: %v", err)
	case <-time.After(cmdTimeout):
		t.Fatal("console socket: no master within the timeout")
	}
	return nil
}

// termReader collects everything read from a terminal end.
type termReader struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan struct{}
}

func readTerminal(f *os.File) *termReader {
	tr := &termReader{done: make(chan struct{})}
	go func() {
		defer close(tr.done)
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			tr.mu.Lock()
			tr.buf.Write(b[:n])
			tr.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return tr
}

func (tr *termReader) String() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.buf.String()
}

// waitFor polls until the output matches re and returns the first match's
// groups.
func (tr *termReader) waitFor(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	var m []string
	eventually(t, 15*time.Second, "terminal output matching "+re+" (have "+strconvQuote(tr)+")", func() bool {
		m = rx.FindStringSubmatch(tr.String())
		return m != nil
	})
	return m
}

func strconvQuote(tr *termReader) string {
	s := tr.String()
	if len(s) > 400 {
		s = "..." + s[len(s)-400:]
	}
	return strings.ReplaceAll(s, "\r", `\r`)
}

func TestTerminalConsoleSocketGivesTheContainerAPty(t *testing.T) {
	r := newRuntime(t)
	spec := terminalSpec("sh")
	spec.Process.ConsoleSize = &specs.Box{Height: 30, Width: 100}
	b := newBundle(t, spec)
	cr := newConsoleReceiver(t)
	r.deleteOnCleanup(t, "tty1")
	r.ok(t, "create", "--console-socket", cr.path, "--bundle", b.dir, "tty1")
	master := cr.receive(t)
	r.ok(t, "start", "tty1")
	out := readTerminal(master)

	_, err := master.WriteString("tty; stty size\n")
	require.NoError(t, err)
	m := out.waitFor(t, `(?m)^(/dev/pts/\d+)\r?\n`)
	require.Equal(t, "/dev/pts/0", m[1], "the pty is the container's own devpts instance")
	out.waitFor(t, `(?m)^30 100\r?$`)
	// /dev/console is the same inode as the pty, and the shell's stdio
	// and controlling terminal are the pty.
	_, err = master.WriteString(`[ /dev/console -ef "$(tty)" ] && echo console-is-$(tty); [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo stdio-tty; cat /proc/self/stat | cut -d" " -f7; echo hi` + "\n")
	require.NoError(t, err)
	out.waitFor(t, `(?m)^console-is-/dev/pts/0\r?$`)
	out.waitFor(t, `(?m)^stdio-tty\r?$`)
	// tty_nr (field 7) is the controlling terminal: major 136, minor 0.
	out.waitFor(t, `(?m)^34816\r?$`)
	out.waitFor(t, `(?m)^hi\r?$`)

	_, err = master.WriteString("exit 3\n")
	require.NoError(t, err)
	st := r.waitStatus(t, "tty1", "stopped")
	require.Equal(t, "stopped", st.Status)
	// Every slave fd is closed with the container: the master reads to
	// its end.
	select {
	case <-out.done:
	case <-time.After(10 * time.Second):
		t.Fatal("master did not reach EOF/EIO after the container exited")
	}
}

// The console socket goes with a terminal, and only with create or a
// detached run, as runc has it: every other combination fails at once,
// with one line, leaving nothing behind.
func TestTerminalConsoleSocketMisuseFailsAndLeavesNothing(t *testing.T) {
	r := newRuntime(t)
	for _, tc := range []struct {
		name, id string
		terminal bool
		socket   bool
		args     []string
	}{
		{name: "create_terminal_without_socket", id: "ttyc", terminal: true, args: []string{"create"}},
		{name: "run_detach_terminal_without_socket", id: "ttyd", terminal: true, args: []string{"run", "--detach"}},
		{name: "create_socket_without_terminal", id: "ttye", socket: true, args: []string{"create"}},
		{name: "run_foreground_with_socket", id: "ttyf", terminal: true, socket: true, args: []string{"run"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := terminalSpec("sh")
			spec.Process.Terminal = tc.terminal
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			r.deleteOnCleanup(t, tc.id)
			args := tc.args
			if tc.socket {
				args = append(args, "--console-socket", newConsoleReceiver(t).path)
			}
			res := r.run(t, append(args, "--bundle", b.dir, tc.id)...)
			requireOneLineError(t, res, "console socket")
			r.requireNothingLeft(t, snap, tc.id, cg)
		})
	}
}

// What the process sees of its terminal, for users other than root and in
// a user namespace (where /dev/console is bound with the new mount API as
// the namespace's root).
func TestTerminalSeenFromInside(t *testing.T) {
	r := newRuntime(t)
	script := `tty; stat -c 'owner=%u' $(tty); [ /dev/console -ef "$(tty)" ] && echo console-is-tty; echo done`
	for i, tc := range []struct {
		name string
		edit func(t *testing.T, b *bundle, s *specs.Spec)
	}{
		{name: "user_1000_owns_its_terminal", edit: func(t *testing.T, b *bundle, s *specs.Spec) {
			s.Process.User = specs.User{UID: 1000, GID: 1000}
		}},
		{name: "user_namespace", edit: func(t *testing.T, b *bundle, s *specs.Spec) {
			require.NoError(t, os.Chmod(b.dir, 0o755))
			require.NoError(t, os.Chmod(filepath.Dir(b.dir), 0o755))
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
			s.Linux.UIDMappings, s.Linux.GIDMappings = maps, maps
			s.Process.User = specs.User{UID: 1000, GID: 1000}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := terminalSpec("sh", "-c", script)
			b := newBundle(t, spec)
			tc.edit(t, b, spec)
			b.write(t, spec)
			id := "ttyin" + itoa(i)
			cr := newConsoleReceiver(t)
			r.deleteOnCleanup(t, id)
			r.ok(t, "create", "--console-socket", cr.path, "--bundle", b.dir, id)
			out := readTerminal(cr.receive(t))
			r.ok(t, "start", id)
			out.waitFor(t, `(?m)^done\r?$`)
			require.Regexp(t, `^/dev/pts/0\r\nowner=1000\r\nconsole-is-tty\r\ndone\r\n`, out.String())
		})
	}
}

// hostPty allocates a pty on the host for the test to play the user at.
func hostPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	master = os.NewFile(uintptr(fd), "/dev/ptmx")
	t.Cleanup(func() { master.Close() })
	require.NoError(t, unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	require.NoError(t, err)
	sfd, err := unix.Open("/dev/pts/"+itoa(int(n)), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	slave = os.NewFile(uintptr(sfd), "/dev/pts/"+itoa(int(n)))
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

func itoa(n int) string { return strconv.Itoa(n) }

// userTerminal is the runtime run in the foreground on a pty the test
// plays the user at: a 25x90 window, the runtime the session leader's
// foreground job, its terminal already in raw mode.
type userTerminal struct {
	master, slave *os.File
	cmd           *exec.Cmd
	out           *termReader
	// before is the terminal's mode before the runtime changed it.
	before *unix.Termios
}

func startOnUserTerminal(t *testing.T, r *rt, args ...string) *userTerminal {
	t.Helper()
	u := &userTerminal{}
	u.master, u.slave = hostPty(t)
	require.NoError(t, unix.IoctlSetWinsize(int(u.master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 25, Col: 90}))
	var err error
	u.before, err = unix.IoctlGetTermios(int(u.slave.Fd()), unix.TCGETS)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	t.Cleanup(cancel)
	u.cmd = r.command(ctx, args...)
	u.cmd.Stdin, u.cmd.Stdout, u.cmd.Stderr = u.slave, u.slave, u.slave
	// The runtime runs in the user's session, on the user's terminal.
	u.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	require.NoError(t, u.cmd.Start())
	u.out = readTerminal(u.master)
	// The runtime put the user's terminal into raw mode: no local echo,
	// no line discipline between the user and the container.
	eventually(t, 10*time.Second, "raw mode on the user's terminal", func() bool {
		tio, err := unix.IoctlGetTermios(int(u.slave.Fd()), unix.TCGETS)
		return err == nil && tio.Lflag&unix.ICANON == 0
	})
	return u
}

// requireRestored checks the user's terminal is back in its mode.
func (u *userTerminal) requireRestored(t *testing.T) {
	t.Helper()
	after, err := unix.IoctlGetTermios(int(u.slave.Fd()), unix.TCGETS)
	require.NoError(t, err)
	require.Equal(t, *u.before, *after, "the user's terminal is restored")
}

func TestTerminalForegroundRunRelaysTheUsersTerminal(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	spec := terminalSpec("sh")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, "ttyfg")

	u := startOnUserTerminal(t, r, "run", "--bundle", b.dir, "ttyfg")
	master, out := u.master, u.out
	_, err := master.WriteString("stty size\n")
	require.NoError(t, err)
	out.waitFor(t, `(?m)^25 90\r?$`)

	// A new window size reaches the container (the kernel sends the
	// runtime SIGWINCH, as the foreground job of the user's terminal).
	require.NoError(t, unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 132}))
	eventually(t, 10*time.Second, "resized container terminal", func() bool {
		_, _ = master.WriteString("stty size\n")
		time.Sleep(100 * time.Millisecond)
		return strings.Contains(out.String(), "40 132")
	})

	_, err = master.WriteString("tty; echo hi; exit 3\n")
	require.NoError(t, err)
	err = u.cmd.Wait()
	require.Equal(t, 3, exitCode(err), "run exit status; terminal: %s", strconvQuote(out))
	out.waitFor(t, `(?m)^/dev/pts/0\r?$`)
	out.waitFor(t, `(?m)^hi\r?$`)
	u.requireRestored(t)
	r.requireNothingLeft(t, snap, "ttyfg", cg)
}

// With process.terminal false the container's stdio is the stdio of the
// process that ran create, handed over as it is (runc's "pass-through"):
// the container reads the caller's stdin and writes its stdout and stderr
// even after create has exited.
func TestTerminalOffDetachedContainerGetsTheCreatorsStdio(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, baseSpec("sh", "-c", `read line; echo "got $line"; echo oops >&2; readlink /proc/$$/fd/1`))
	r.deleteOnCleanup(t, "ttyoff")
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	require.NoError(t, os.WriteFile(in, []byte("hello\n"), 0o644))
	stdin, err := os.Open(in)
	require.NoError(t, err)
	defer stdin.Close()
	stdout, err := os.Create(filepath.Join(dir, "out"))
	require.NoError(t, err)
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "err"))
	require.NoError(t, err)
	defer stderr.Close()

	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := r.command(ctx, "create", "--bundle", b.dir, "ttyoff")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	require.NoError(t, cmd.Run(), "create: %s", readFile(t, stderr.Name()))
	r.ok(t, "start", "ttyoff")
	r.waitStatus(t, "ttyoff", "stopped")
	// The container's fd 1 is the very file create wrote to.
	require.Equal(t, "got hello\n"+stdout.Name()+"\n", readFile(t, stdout.Name()))
	require.Equal(t, "oops\n", readFile(t, stderr.Name()))
}

// The pty must come from a real devpts and /dev/console must be a plain
// file or device: a container image cannot make the init open or bind
// something else (CVE-2025-52565). Each setup fails create with one line
// naming the path, and leaves nothing behind.
func TestTerminalRefusesAForgedDevpts(t *testing.T) {
	r := newRuntime(t)
	withoutDevTmpfs := func(s *specs.Spec) {
		s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/dev" })
	}
	for i, tc := range []struct {
		name string
		edit func(t *testing.T, b *bundle, s *specs.Spec)
		want string
	}{
		{name: "no_devpts_mounted", edit: func(t *testing.T, b *bundle, s *specs.Spec) {
			s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Type == "devpts" })
		}, want: "/dev/pts/ptmx"},
		{name: "ptmx_node_in_the_image", edit: func(t *testing.T, b *bundle, s *specs.Spec) {
			withoutDevTmpfs(s)
			s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Type == "devpts" })
			require.NoError(t, os.MkdirAll(filepath.Join(b.rootfs, "dev/pts"), 0o755))
			require.NoError(t, unix.Mknod(filepath.Join(b.rootfs, "dev/pts/ptmx"), unix.S_IFCHR|0o666, int(unix.Mkdev(5, 2))))
		}, want: "not on a devpts"},
		{name: "dev_console_symlink_in_the_image", edit: func(t *testing.T, b *bundle, s *specs.Spec) {
			withoutDevTmpfs(s)
			require.NoError(t, os.MkdirAll(filepath.Join(b.rootfs, "dev"), 0o755))
			require.NoError(t, os.Symlink("/etc/hostname", filepath.Join(b.rootfs, "dev/console")))
		}, want: "/dev/console"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := terminalSpec("true")
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			tc.edit(t, b, spec)
			b.write(t, spec)
			id := "ttyforge" + itoa(i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "create", "--console-socket", newConsoleReceiver(t).path, "--bundle", b.dir, id)
			requireOneLineError(t, res, tc.want)
			t.Logf("create: %s", strings.TrimSpace(res.stderr))
			r.requireNothingLeft(t, snap, id, cg)
			if tc.name == "dev_console_symlink_in_the_image" {
				data, err := os.ReadFile(filepath.Join(b.rootfs, "etc/hostname"))
				if err == nil {
					require.NotContains(t, string(data), "pts", "the pty was bound over the symlink's target")
				}
			}
		})
	}
}
