package console

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// State is a terminal's saved settings, for Restore.
type State struct {
	fd      int
	termios unix.Termios
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// SetRaw puts the terminal f into raw mode, as cfmakeraw(3) does: no echo,
// no line editing, no signal characters, no output processing, so every
// byte the user types reaches the container's terminal, which does all of
// that itself. The returned State restores the previous settings.
func SetRaw(f *os.File) (*State, error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, fmt.Errorf("terminal %s: %w", f.Name(), os.NewSyscallError("ioctl TCGETS", err))
	}
	raw := *old
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Oflag &^= unix.OPOST
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN] = 1
	raw.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, fmt.Errorf("terminal %s: raw mode: %w", f.Name(), os.NewSyscallError("ioctl TCSETS", err))
	}
	return &State{fd: fd, termios: *old}, nil
}

// Restore puts the terminal back as SetRaw found it.
func (s *State) Restore() error {
	if err := unix.IoctlSetTermios(s.fd, unix.TCSETS, &s.termios); err != nil {
		return fmt.Errorf("restore terminal: %w", os.NewSyscallError("ioctl TCSETS", err))
	}
	return nil
}

// Size returns the window size of the terminal f.
func Size(f *os.File) (rows, cols uint16, err error) {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0, fmt.Errorf("window size of %s: %w", f.Name(), os.NewSyscallError("ioctl TIOCGWINSZ", err))
	}
	return ws.Row, ws.Col, nil
}

// SetSize sets the window size of the terminal f (either end of a pty);
// the kernel sends SIGWINCH to the terminal's foreground process group.
func SetSize(f *os.File, rows, cols uint16) error {
	if err := unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		return fmt.Errorf("set window size of %s: %w", f.Name(), os.NewSyscallError("ioctl TIOCSWINSZ", err))
	}
	return nil
}

// CopySize gives dst the window size of src.
func CopySize(dst, src *os.File) error {
	rows, cols, err := Size(src)
	if err != nil {
		return err
	}
	return SetSize(dst, rows, cols)
}
