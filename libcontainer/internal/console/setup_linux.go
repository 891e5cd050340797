package console

import (
	"errors"
	"fmt"
	"math"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// SetupOptions configure Setup.
type SetupOptions struct {
	// Socket is the connected console socket the master is sent over
	// (from Dial, or the container end of NewSocketPair). Setup does not
	// close it.
	Socket *os.File
	// Size is the initial window size (process.consoleSize); nil or a
	// zero dimension leaves the kernel's 0x0, which the receiver sets.
	Size *specs.Box
	// MountConsole binds the slave onto /dev/console. Only the init of a
	// new container with its own mount namespace does this; an exec'd
	// process leaves the container's /dev/console alone.
	MountConsole bool
	// UID becomes the owner of the slave (process.user.uid), as runc
	// gives the process its stdio, so the process owns its terminal; 0
	// leaves it root's.
	UID uint32
	// PtsDir is where the devpts is mounted, /dev/pts when empty.
	PtsDir string
}

// Setup gives the calling process a terminal, in the container's mount
// namespace after its root is in place (and before /dev is made
// read-only): it allocates a pty from the container's devpts, sets the
// window size, binds the slave onto /dev/console if asked, sends the master
// over the socket, makes the slave fds 0, 1 and 2, starts a new session and
// makes the slave its controlling terminal. The caller's own copies of the
// master and slave are closed; only fds 0-2 and the receiver hold the pty.
func Setup(o SetupOptions) error {
	if o.Socket == nil {
		return errors.New("console: no console socket")
	}
	var rows, cols uint16
	if s := o.Size; s != nil && s.Height != 0 && s.Width != 0 {
		if s.Height > math.MaxUint16 || s.Width > math.MaxUint16 {
			return fmt.Errorf("process.consoleSize %dx%d: a terminal has at most %d rows and columns", s.Height, s.Width, math.MaxUint16)
		}
		rows, cols = uint16(s.Height), uint16(s.Width)
	}
	ptsDir := o.PtsDir
	if ptsDir == "" {
		ptsDir = "/dev/pts"
	}
	pty, err := OpenPty(ptsDir)
	if err != nil {
		return err
	}
	defer pty.Close()
	if rows != 0 {
		if err := SetSize(pty.Master, rows, cols); err != nil {
			return fmt.Errorf("process.consoleSize: %w", err)
		}
	}
	if o.MountConsole {
		if err := mountConsole(pty.Slave); err != nil {
			return err
		}
	}
	if err := SendMaster(o.Socket, pty.Master); err != nil {
		return err
	}
	if o.UID != 0 {
		if err := unix.Fchown(int(pty.Slave.Fd()), int(o.UID), -1); err != nil {
			return fmt.Errorf("chown %s to %d: %w", pty.Slave.Name(), o.UID, os.NewSyscallError("fchown", err))
		}
	}
	for fd := 0; fd <= 2; fd++ {
		if err := unix.Dup3(int(pty.Slave.Fd()), fd, 0); err != nil {
			return fmt.Errorf("make %s fd %d: %w", pty.Slave.Name(), fd, os.NewSyscallError("dup3", err))
		}
	}
	return controllingTerminal(0)
}

// controllingTerminal makes fd, a pty slave, the controlling terminal of a
// new session led by the caller. A process that already leads its session
// (setsid fails with EPERM) keeps it.
func controllingTerminal(fd int) error {
	if _, err := unix.Setsid(); err != nil {
		sid, serr := unix.Getsid(0)
		if !errors.Is(err, unix.EPERM) || serr != nil || sid != unix.Getpid() {
			return fmt.Errorf("new session for the terminal: %w", os.NewSyscallError("setsid", err))
		}
	}
	if err := unix.IoctlSetInt(fd, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("make the pty the controlling terminal: %w", os.NewSyscallError("ioctl TIOCSCTTY", err))
	}
	return nil
}

// mountConsole binds the slave onto /dev/console. The target is created
// as an empty file if missing, opened without following a symlink and
// must be a regular file or a device node; the bind goes from the slave's
// own fd to that handle, so no path is resolved twice (CVE-2025-52565).
func mountConsole(slave *os.File) error {
	dev, err := unix.Open("/dev", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: "/dev", Err: err}
	}
	defer unix.Close(dev)
	fd, err := unix.Openat(dev, "console", unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_RDONLY|unix.O_CLOEXEC, 0o666)
	if err == nil {
		unix.Close(fd)
	} else if !errors.Is(err, unix.EEXIST) {
		return &os.PathError{Op: "create", Path: "/dev/console", Err: err}
	}
	target, err := unix.Openat(dev, "console", unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: "/dev/console", Err: err}
	}
	defer unix.Close(target)
	var st unix.Stat_t
	if err := unix.Fstat(target, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: "/dev/console", Err: err}
	}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFREG && t != unix.S_IFCHR {
		return fmt.Errorf("/dev/console is not a file or a character device (mode %#o): refusing to mount the terminal on it", st.Mode)
	}
	if err := bindFd(int(slave.Fd()), target); err != nil {
		return fmt.Errorf("mount %s on /dev/console: %w", slave.Name(), err)
	}
	return nil
}

// bindFd bind-mounts the file open as src onto the file open as dst:
// open_tree and move_mount (Linux 5.2), or a bind between the two procfs
// magic links where the new mount API is missing.
func bindFd(src, dst int) error {
	tree, err := unix.OpenTree(src, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if err == nil {
		defer unix.Close(tree)
		if err := unix.MoveMount(tree, "", dst, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
			return os.NewSyscallError("move_mount", err)
		}
		return nil
	}
	if !errors.Is(err, unix.ENOSYS) {
		return os.NewSyscallError("open_tree", err)
	}
	from := fmt.Sprintf("/proc/thread-self/fd/%d", src)
	to := fmt.Sprintf("/proc/thread-self/fd/%d", dst)
	if err := unix.Mount(from, to, "", unix.MS_BIND, ""); err != nil {
		return os.NewSyscallError("mount", err)
	}
	return nil
}
