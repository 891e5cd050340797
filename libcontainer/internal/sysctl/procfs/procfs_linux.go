package procfs

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// procRootIno is the inode number of every procfs root (PROC_ROOT_INO in
// fs/proc/internal.h).
const procRootIno = 1

// Kind says how a Handle's procfs root was obtained.
type Kind string

// The ways to obtain a procfs root, most to least isolated.
const (
	// KindFsopen is a new private procfs instance (fsopen + fsmount).
	KindFsopen Kind = "fsopen"
	// KindOpenTree is a detached clone of the /proc mount, without submounts.
	KindOpenTree Kind = "open_tree"
	// KindPlain is /proc opened directly; submounts are still refused
	// by the mount id check.
	KindPlain Kind = "plain"
)

// Handle is an open, verified procfs root. It is safe for use by one
// goroutine at a time; Close releases it.
type Handle struct {
	root  *os.File
	kind  Kind
	mntID uint64
	// legacy is set once openat2 is found missing (before Linux 5.6):
	// components are then opened with openat and verified afterwards.
	legacy bool
}

// Open returns a handle on a verified procfs root, trying a private
// instance first, then a detached clone of /proc, then /proc itself.
func Open() (*Handle, error) {
	var errs []error
	for _, try := range []struct {
		kind Kind
		open func() (int, error)
	}{
		{KindFsopen, openFsopen},
		{KindOpenTree, openTree},
		{KindPlain, openPlain},
	} {
		fd, err := try.open()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", try.kind, err))
			continue
		}
		h, err := newHandle(fd, try.kind)
		if err != nil {
			// A fake /proc is an attack, not a reason to fall back.
			return nil, err
		}
		return h, nil
	}
	return nil, fmt.Errorf("open procfs: %w", errors.Join(errs...))
}

func openFsopen() (int, error) {
	fsfd, err := unix.Fsopen("proc", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, os.NewSyscallError("fsopen", err)
	}
	defer unix.Close(fsfd)
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, os.NewSyscallError("fsconfig create", err)
	}
	fd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC,
		unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC|unix.MOUNT_ATTR_NOSUID)
	if err != nil {
		return -1, os.NewSyscallError("fsmount", err)
	}
	return fd, nil
}

func openTree() (int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, "/proc",
		unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return -1, os.NewSyscallError("open_tree /proc", err)
	}
	return fd, nil
}

func openPlain() (int, error) {
	fd, err := unix.Open("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: "/proc", Err: err}
	}
	return fd, nil
}

// newHandle takes ownership of fd and checks it is a procfs root.
func newHandle(fd int, kind Kind) (*Handle, error) {
	f := os.NewFile(uintptr(fd), "/proc")
	if err := isProcfs(fd); err != nil {
		f.Close()
		return nil, fmt.Errorf("verify /proc (%s): %w", kind, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("verify /proc (%s): %w", kind, os.NewSyscallError("fstat", err))
	}
	if st.Ino != procRootIno {
		f.Close()
		return nil, fmt.Errorf("verify /proc (%s): inode %d is not the procfs root", kind, st.Ino)
	}
	id, err := mountID(fd)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("verify /proc (%s): %w", kind, err)
	}
	return &Handle{root: f, kind: kind, mntID: id}, nil
}

// Kind says how the handle was obtained.
func (h *Handle) Kind() Kind { return h.kind }

// Close releases the handle.
func (h *Handle) Close() error { return h.root.Close() }

// OpenFile opens name, a slash-separated path relative to the procfs root
// such as "sys/kernel/hostname", with flags (O_CLOEXEC and O_NOFOLLOW are
// always added). No component may be a symlink, "." or "..", and every
// component must be on the handle's procfs mount. Use [Handle.OpenSelf]
// for files under /proc/self, which is a symlink.
func (h *Handle) OpenFile(name string, flags int) (*os.File, error) {
	return h.openFrom(int(h.root.Fd()), "/proc", name, flags)
}

// OpenSelf opens name relative to /proc/<pid> of the calling process, as
// this procfs instance numbers it (the "self" link is read, checked to be
// a plain pid and then opened as a directory without following links).
func (h *Handle) OpenSelf(name string, flags int) (*os.File, error) {
	buf := make([]byte, 32)
	n, err := unix.Readlinkat(int(h.root.Fd()), "self", buf)
	if err != nil {
		return nil, &os.PathError{Op: "readlink", Path: "/proc/self", Err: err}
	}
	pid := string(buf[:n])
	if _, err := strconv.ParseUint(pid, 10, 32); err != nil {
		return nil, fmt.Errorf("readlink /proc/self: unexpected target %q", pid)
	}
	return h.OpenFile(pid+"/"+name, flags)
}

func (h *Handle) openFrom(dirfd int, dirName, name string, flags int) (*os.File, error) {
	parts := strings.Split(name, "/")
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return nil, fmt.Errorf("open %s/%s: invalid path component %q", dirName, name, p)
		}
	}
	full := dirName + "/" + name
	cur := -1 // owned fd of the current directory, -1 while it is dirfd
	defer func() {
		if cur >= 0 {
			unix.Close(cur)
		}
	}()
	at := dirfd
	for i, p := range parts {
		last := i == len(parts)-1
		fl := unix.O_PATH | unix.O_DIRECTORY
		if last {
			fl = flags
		}
		if last && h.legacy {
			// Without openat2 the kernel cannot refuse a mount point
			// before opening it: check an O_PATH handle of the leaf
			// first, so a write-only open never reaches a foreign file.
			pfd, err := h.openat(at, p, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC)
			if err == nil {
				err = h.verify(pfd)
				unix.Close(pfd)
			}
			if err != nil {
				return nil, &os.PathError{Op: "open", Path: full, Err: err}
			}
		}
		fd, err := h.openat(at, p, fl|unix.O_NOFOLLOW|unix.O_CLOEXEC)
		if err != nil {
			if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) && !last {
				err = fmt.Errorf("%w (a symlink or not a directory: refused)", err)
			}
			return nil, &os.PathError{Op: "open", Path: full, Err: err}
		}
		if err := h.verify(fd); err != nil {
			unix.Close(fd)
			return nil, &os.PathError{Op: "open", Path: full, Err: err}
		}
		if last {
			return os.NewFile(uintptr(fd), full), nil
		}
		if cur >= 0 {
			unix.Close(cur)
		}
		cur, at = fd, fd
	}
	return nil, &os.PathError{Op: "open", Path: full, Err: unix.EINVAL}
}

// verify checks that fd is on procfs and on the handle's mount.
func (h *Handle) verify(fd int) error {
	if err := isProcfs(fd); err != nil {
		return err
	}
	id, err := mountID(fd)
	if err != nil {
		return err
	}
	if id != h.mntID {
		return fmt.Errorf("%w: on mount %d, not the procfs mount %d", ErrCrossesMount, id, h.mntID)
	}
	return nil
}

// ErrNotProcfs is returned when a file expected on procfs is elsewhere.
var ErrNotProcfs = errors.New("not on procfs")

// ErrCrossesMount is returned when a path under the procfs root reaches
// another mount (for example a bind mount over /proc/sys/...).
var ErrCrossesMount = errors.New("crosses a mount")

func isProcfs(fd int) error {
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil {
		return os.NewSyscallError("fstatfs", err)
	}
	if sfs.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("%w (filesystem magic %#x)", ErrNotProcfs, sfs.Type)
	}
	return nil
}

func mountID(fd int) (uint64, error) {
	var stx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &stx); err != nil {
		return 0, os.NewSyscallError("statx", err)
	}
	if stx.Mask&unix.STATX_MNT_ID == 0 {
		// Kernels before 5.8 do not report it; the magic check remains.
		return 0, nil
	}
	return stx.Mnt_id, nil
}

// openat opens one path component below dirfd. openat2 with
// RESOLVE_NO_XDEV makes the kernel refuse a component that is a mount
// point before the file is opened (opening some procfs files has effects,
// and a write-only open of a read-only overmount would fail with a
// misleading EACCES). Kernels before 5.6 fall back to openat; the caller
// verifies the mount of every fd either way.
func (h *Handle) openat(dirfd int, name string, flags int) (int, error) {
	if h.legacy {
		return openatPlain(dirfd, name, flags)
	}
	how := unix.OpenHow{
		Flags:   uint64(flags),
		Resolve: unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_BENEATH,
	}
	for {
		fd, err := unix.Openat2(dirfd, name, &how)
		switch err {
		case unix.EINTR, unix.EAGAIN:
			// EAGAIN: openat2 saw a concurrent rename or mount; retry.
			continue
		case unix.ENOSYS:
			h.legacy = true
			return openatPlain(dirfd, name, flags)
		case unix.EXDEV:
			return -1, fmt.Errorf("%w (EXDEV)", ErrCrossesMount)
		}
		return fd, err
	}
}

func openatPlain(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// WriteFile writes data to an already opened procfs file in one write(2)
// call, as procfs handlers expect the whole value at once.
func WriteFile(f *os.File, data []byte) error {
	for {
		n, err := unix.Write(int(f.Fd()), data)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "write", Path: f.Name(), Err: err}
		}
		if n != len(data) {
			return &os.PathError{Op: "write", Path: f.Name(), Err: fmt.Errorf("short write: %d of %d bytes", n, len(data))}
		}
		return nil
	}
}
