package console

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// Device numbers of the devpts nodes (Documentation/admin-guide/devices.txt):
// ptmx is 5:2, slaves have majors 136-143 (UNIX98_PTY_SLAVE_MAJOR and the
// seven following), and ptmx is always inode 2 of its devpts instance
// (fs/devpts/inode.c).
const (
	ptmxMajor      = 5
	ptmxMinor      = 2
	ptmxIno        = 2
	ptySlaveMajor0 = 136
	ptySlaveMajorN = 143
)

// Pty is a freshly allocated pseudo-terminal: the master, the slave (its
// peer) and the slave's number in its devpts instance.
type Pty struct {
	Master *os.File
	Slave  *os.File
	Number int
}

// Close closes both ends.
func (p *Pty) Close() error {
	return errors.Join(p.Master.Close(), p.Slave.Close())
}

// OpenPty allocates a pty from the devpts instance mounted at ptsDir
// (normally /dev/pts). The ptmx node is opened O_PATH without following a
// symlink and verified to be the ptmx inode of a devpts before it is opened
// for real, and the slave is obtained from the master with TIOCGPTPEER, so
// that no path the container controls can substitute another file for
// either end (CVE-2025-52565, where /dev/pts/$n was a symlink to a host
// file that then got bind-mounted onto /dev/console).
func OpenPty(ptsDir string) (*Pty, error) {
	ptmxPath := filepath.Join(ptsDir, "ptmx")
	h, err := unix.Open(ptmxPath, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: ptmxPath, Err: err}
	}
	defer unix.Close(h)
	ptmxStat, err := verifyPtmx(h, ptmxPath)
	if err != nil {
		return nil, err
	}
	masterFD, err := reopen(h, ptmxPath, ptmxStat, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)
	if err != nil {
		return nil, err
	}
	master := os.NewFile(uintptr(masterFD), "/dev/ptmx")
	// Unlock the slave (unlockpt(3)): it cannot be opened before.
	if err := unix.IoctlSetPointerInt(masterFD, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, fmt.Errorf("unlock pty: %w", os.NewSyscallError("ioctl TIOCSPTLCK", err))
	}
	n, err := unix.IoctlGetUint32(masterFD, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, fmt.Errorf("pty number: %w", os.NewSyscallError("ioctl TIOCGPTN", err))
	}
	slave, err := openPeer(master, ptsDir, int(n), ptmxStat)
	if err != nil {
		master.Close()
		return nil, err
	}
	return &Pty{Master: master, Slave: slave, Number: int(n)}, nil
}

// verifyPtmx checks that fd is the ptmx node of a devpts instance.
func verifyPtmx(fd int, path string) (*unix.Stat_t, error) {
	if err := verifyDevpts(fd, path); err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != ptmxMajor || unix.Minor(st.Rdev) != ptmxMinor || st.Ino != ptmxIno {
		return nil, fmt.Errorf("%s is not the ptmx of a devpts (mode %#o, device %d:%d, inode %d)",
			path, st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev), st.Ino)
	}
	return &st, nil
}

func verifyDevpts(fd int, path string) error {
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil {
		return &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	if sfs.Type != unix.DEVPTS_SUPER_MAGIC {
		return fmt.Errorf("%s is not on a devpts file system (magic %#x)", path, sfs.Type)
	}
	return nil
}

// reopen opens the verified O_PATH handle h for I/O. Through procfs the
// very inode verified is opened; without a procfs (a container that mounts
// none) the path is opened again without following a symlink and must be
// the same inode, else it is closed unused.
func reopen(h int, path string, want *unix.Stat_t, flags int) (int, error) {
	fd, err := unix.Open(fmt.Sprintf("/proc/thread-self/fd/%d", h), flags, 0)
	if err == nil {
		if err := sameInode(fd, want, path); err != nil {
			unix.Close(fd)
			return -1, err
		}
		return fd, nil
	}
	fd, err = unix.Open(path, flags|unix.O_NOFOLLOW, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := sameInode(fd, want, path); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func sameInode(fd int, want *unix.Stat_t, path string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Dev != want.Dev || st.Ino != want.Ino {
		return fmt.Errorf("%s changed while it was opened", path)
	}
	return nil
}

// openPeer opens the slave of master. TIOCGPTPEER (Linux 4.13) needs no
// path at all; on older kernels the slave is opened by its path and must be
// a pty slave of the same devpts instance with the master's number.
func openPeer(master *os.File, ptsDir string, n int, ptmx *unix.Stat_t) (*os.File, error) {
	name := filepath.Join(ptsDir, strconv.Itoa(n))
	flags := unix.O_RDWR | unix.O_NOCTTY | unix.O_CLOEXEC
	fd, err := ioctlGetPeer(int(master.Fd()), flags)
	if err == nil {
		return os.NewFile(uintptr(fd), name), nil
	}
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOTTY) {
		return nil, fmt.Errorf("open pty peer: %w", os.NewSyscallError("ioctl TIOCGPTPEER", err))
	}
	fd, err = unix.Open(name, flags|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: name, Err: err}
	}
	major, minor := unix.Major(st.Rdev), unix.Minor(st.Rdev)
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Dev != ptmx.Dev || major < ptySlaveMajor0 || major > ptySlaveMajorN ||
		int((major-ptySlaveMajor0)*256+minor) != n {
		unix.Close(fd)
		return nil, fmt.Errorf("%s is not the peer of pty %d (device %d:%d)", name, n, major, minor)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// ioctlGetPeer is TIOCGPTPEER, whose argument is the open flags by value.
func ioctlGetPeer(master, flags int) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(master), unix.TIOCGPTPEER, uintptr(flags))
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}
