package libcontainer

import (
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcontainer/internal/console"
)

// TerminalRelay connects a container's terminal to the user's: raw mode,
// input and output copied both ways, window size on Resize. See
// NewTerminalRelay.
type TerminalRelay = console.Relay

// NewConsoleSocketPair returns a connected socket pair for a runtime that
// receives the pty master itself (a foreground run, or exec, with
// process.terminal and no --console-socket): pass containerEnd to
// WithConsoleSocketFile (and close it once the container is built), then
// ReceiveConsole(runtimeEnd).
func NewConsoleSocketPair() (runtimeEnd, containerEnd *os.File, err error) {
	return console.NewSocketPair()
}

// ReceiveConsole receives the pty master the container's init sent over
// sock (one SCM_RIGHTS message, runc's console socket protocol).
func ReceiveConsole(sock *os.File) (*os.File, error) {
	return console.RecvMaster(sock)
}

// NewTerminalRelay relays between a received pty master and the user's
// stdio until Close: the first of stdin, stdout and stderr that is a
// terminal goes into raw mode (Close restores it) and lends the container
// its window size; call Resize on SIGWINCH. It takes ownership of master.
func NewTerminalRelay(master, stdin, stdout, stderr *os.File) (*TerminalRelay, error) {
	return console.NewRelay(master, stdin, stdout, stderr)
}

// Terminal reports whether the container's process has a terminal
// (process.terminal).
func (c *Container) Terminal() bool {
	var p struct {
		Terminal bool `json:"terminal"`
	}
	if len(c.state.Process) == 0 || json.Unmarshal(c.state.Process, &p) != nil {
		return false
	}
	return p.Terminal
}

// consoleSocket is the connected console socket the init sends the master
// over: the caller's own (a dup, which create or exec closes), or a
// connection to --console-socket.
func consoleSocket(b *ContainerBuilder) (*os.File, error) {
	if b.consoleFile != nil {
		fd, err := unix.FcntlInt(b.consoleFile.Fd(), unix.F_DUPFD_CLOEXEC, 3)
		if err != nil {
			return nil, fmt.Errorf("console socket: %w", os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", err))
		}
		return os.NewFile(uintptr(fd), b.consoleFile.Name()), nil
	}
	return console.Dial(b.consoleSocket)
}

// setupConsole is the init's terminal step: the pty is allocated from the
// container's devpts and the master sent over the console socket; the
// slave becomes the process's stdio, controlling terminal and, with a
// mount namespace of its own, /dev/console.
func (in *initProcess) setupConsole(mountNS bool) error {
	sock := os.NewFile(uintptr(in.cfg.ConsoleFD), "console-socket")
	defer sock.Close()
	proc := in.cfg.spec.Process
	return console.Setup(console.SetupOptions{
		Socket:       sock,
		Size:         proc.ConsoleSize,
		MountConsole: mountNS,
		UID:          proc.User.UID,
	})
}
