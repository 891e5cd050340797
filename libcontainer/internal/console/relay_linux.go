package console

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Relay connects a container's terminal (the received master) to the
// user's: what the user types goes to the container, what the container
// writes comes back, and the user's terminal is in raw mode meanwhile so
// that line editing, echo and signal keys (^C, ^Z) are the container's.
type Relay struct {
	master *os.File // a non-blocking dup of the master, so reads can be interrupted
	orig   *os.File // the master as received
	host   *os.File // the user's terminal, nil when stdio is not one
	state  *State   // host's settings before raw mode
	out    chan error
	once   sync.Once
	closed chan struct{}
}

// NewRelay starts relaying between master and the user's stdio. The first
// of stdin, stdout and stderr that is a terminal (runc's choice too) is put
// into raw mode and lends its window size to the container's terminal.
// Relay takes ownership of master. Call Close when the container process
// has exited, also on error paths: it restores the user's terminal.
func NewRelay(master, stdin, stdout, stderr *os.File) (*Relay, error) {
	fd, err := unix.FcntlInt(master.Fd(), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, fmt.Errorf("terminal relay: %w", os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", err))
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("terminal relay: %w", os.NewSyscallError("fcntl O_NONBLOCK", err))
	}
	r := &Relay{
		master: os.NewFile(uintptr(fd), master.Name()),
		orig:   master,
		out:    make(chan error, 1),
		closed: make(chan struct{}),
	}
	for _, f := range []*os.File{stdin, stdout, stderr} {
		if f != nil && IsTerminal(f) {
			r.host = f
			break
		}
	}
	if r.host != nil {
		if err := r.Resize(); err != nil {
			r.master.Close()
			return nil, err
		}
		if r.state, err = SetRaw(r.host); err != nil {
			r.master.Close()
			return nil, err
		}
	}
	go func() {
		_, err := io.Copy(stdout, r.master)
		// EIO is how a pty master reports that every slave fd is closed:
		// the container is done writing.
		if errors.Is(err, unix.EIO) || errors.Is(err, os.ErrClosed) {
			err = nil
		}
		r.out <- err
	}()
	if stdin != nil {
		go r.copyInput(stdin)
	}
	return r, nil
}

// copyInput copies the user's input until it ends or the relay is
// closed; the read already waiting when Close comes ends with the process
// (stdin is the caller's and is not closed).
func (r *Relay) copyInput(stdin *os.File) {
	buf := make([]byte, 32*1024)
	for {
		n, err := stdin.Read(buf)
		select {
		case <-r.closed:
			return
		default:
		}
		if n > 0 {
			if _, werr := r.master.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			// At the end of input nothing is sent: as with runc, the
			// container's terminal simply gets no more input (a user ends
			// it with ^D, which raw mode passes through).
			return
		}
	}
}

// Resize gives the container's terminal the window size of the user's; call
// it on SIGWINCH. Without a user terminal it does nothing.
func (r *Relay) Resize() error {
	if r.host == nil {
		return nil
	}
	return CopySize(r.master, r.host)
}

// Close waits up to drain for the container's output to end (the master
// reads EIO once every slave fd is closed), stops relaying, and restores
// the user's terminal.
func (r *Relay) Close(drain time.Duration) error {
	var err error
	r.once.Do(func() {
		close(r.closed)
		var outErr error
		select {
		case outErr = <-r.out:
		case <-time.After(drain):
			// Some process still holds the slave: stop reading anyway.
			_ = r.master.SetReadDeadline(time.Now())
			outErr = <-r.out
			if errors.Is(outErr, os.ErrDeadlineExceeded) {
				outErr = nil
			}
		}
		if outErr != nil {
			outErr = fmt.Errorf("terminal output: %w", outErr)
		}
		var restoreErr error
		if r.state != nil {
			restoreErr = r.state.Restore()
		}
		err = errors.Join(outErr, restoreErr, r.master.Close(), r.orig.Close())
	})
	return err
}
