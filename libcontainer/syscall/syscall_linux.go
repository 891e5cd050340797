package syscall

import (
	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Syscall is the set of kernel calls libcontainer's setup code makes.
// Errors are returned unwrapped (a unix.Errno, or an *os.PathError for the
// helpers that read files) so callers add the step and path themselves.
type Syscall interface {
	// Mount is mount(2).
	Mount(source, target, fstype string, flags uintptr, data string) error
	// Unmount is umount2(2).
	Unmount(target string, flags int) error
	// MountSetattr is mount_setattr(2) (Linux 5.12+).
	MountSetattr(dirfd int, path string, flags uint, attr *unix.MountAttr) error
	// PivotRoot is pivot_root(2).
	PivotRoot(newRoot, putOld string) error
	// Chroot is chroot(2).
	Chroot(path string) error
	// Chdir is chdir(2).
	Chdir(path string) error
	// Fchdir is fchdir(2).
	Fchdir(fd int) error
	// Open is open(2); O_CLOEXEC is always added.
	Open(path string, flags int, mode uint32) (int, error)
	// Close is close(2).
	Close(fd int) error
	// Mknodat is mknodat(2).
	Mknodat(dirfd int, path string, mode uint32, dev uint64) error
	// Fchownat is fchownat(2).
	Fchownat(dirfd int, path string, uid, gid, flags int) error
	// Fchmodat is fchmodat(2).
	Fchmodat(dirfd int, path string, mode uint32, flags int) error
	// Symlinkat is symlinkat(2): creates linkpath (relative to dirfd) pointing to target.
	Symlinkat(target string, dirfd int, linkpath string) error
	// Unlinkat is unlinkat(2).
	Unlinkat(dirfd int, path string, flags int) error
	// Mkdirat is mkdirat(2).
	Mkdirat(dirfd int, path string, mode uint32) error
	// Fstat is fstat(2).
	Fstat(fd int, st *unix.Stat_t) error
	// Fstatfs is fstatfs(2).
	Fstatfs(fd int, st *unix.Statfs_t) error
	// Statfs is statfs(2).
	Statfs(path string, st *unix.Statfs_t) error
	// Sethostname is sethostname(2).
	Sethostname(name string) error
	// Setdomainname is setdomainname(2).
	Setdomainname(name string) error
	// MountInfo returns the calling process's /proc/thread-self/mountinfo.
	MountInfo() ([]*mountinfo.Info, error)
	// ReadFile reads a small host file such as /proc/self/cgroup.
	ReadFile(path string) ([]byte, error)
}

// Linux is the real implementation over golang.org/x/sys/unix.
type Linux struct{}

// NewLinux returns the real Linux syscall layer.
func NewLinux() Syscall { return Linux{} }

var _ Syscall = Linux{}

// Mount implements Syscall.
func (Linux) Mount(source, target, fstype string, flags uintptr, data string) error {
	return retryEINTR(func() error { return unix.Mount(source, target, fstype, flags, data) })
}

// Unmount implements Syscall.
func (Linux) Unmount(target string, flags int) error {
	return retryEINTR(func() error { return unix.Unmount(target, flags) })
}

// MountSetattr implements Syscall.
func (Linux) MountSetattr(dirfd int, path string, flags uint, attr *unix.MountAttr) error {
	return retryEINTR(func() error { return unix.MountSetattr(dirfd, path, flags, attr) })
}

// PivotRoot implements Syscall.
func (Linux) PivotRoot(newRoot, putOld string) error { return unix.PivotRoot(newRoot, putOld) }

// Chroot implements Syscall.
func (Linux) Chroot(path string) error { return unix.Chroot(path) }

// Chdir implements Syscall.
func (Linux) Chdir(path string) error { return unix.Chdir(path) }

// Fchdir implements Syscall.
func (Linux) Fchdir(fd int) error { return unix.Fchdir(fd) }

// Open implements Syscall.
func (Linux) Open(path string, flags int, mode uint32) (int, error) {
	var fd int
	err := retryEINTR(func() (err error) {
		fd, err = unix.Open(path, flags|unix.O_CLOEXEC, mode)
		return err
	})
	return fd, err
}

// Close implements Syscall.
func (Linux) Close(fd int) error { return unix.Close(fd) }

// Mknodat implements Syscall.
func (Linux) Mknodat(dirfd int, path string, mode uint32, dev uint64) error {
	return unix.Mknodat(dirfd, path, mode, int(dev))
}

// Fchownat implements Syscall.
func (Linux) Fchownat(dirfd int, path string, uid, gid, flags int) error {
	return unix.Fchownat(dirfd, path, uid, gid, flags)
}

// Fchmodat implements Syscall.
func (Linux) Fchmodat(dirfd int, path string, mode uint32, flags int) error {
	return unix.Fchmodat(dirfd, path, mode, flags)
}

// Symlinkat implements Syscall.
func (Linux) Symlinkat(target string, dirfd int, linkpath string) error {
	return unix.Symlinkat(target, dirfd, linkpath)
}

// Unlinkat implements Syscall.
func (Linux) Unlinkat(dirfd int, path string, flags int) error {
	return unix.Unlinkat(dirfd, path, flags)
}

// Mkdirat implements Syscall.
func (Linux) Mkdirat(dirfd int, path string, mode uint32) error {
	return unix.Mkdirat(dirfd, path, mode)
}

// Fstat implements Syscall.
func (Linux) Fstat(fd int, st *unix.Stat_t) error { return unix.Fstat(fd, st) }

// Fstatfs implements Syscall.
func (Linux) Fstatfs(fd int, st *unix.Statfs_t) error { return unix.Fstatfs(fd, st) }

// Statfs implements Syscall.
func (Linux) Statfs(path string, st *unix.Statfs_t) error {
	return retryEINTR(func() error { return unix.Statfs(path, st) })
}

// Sethostname implements Syscall.
func (Linux) Sethostname(name string) error { return unix.Sethostname([]byte(name)) }

// Setdomainname implements Syscall.
func (Linux) Setdomainname(name string) error { return unix.Setdomainname([]byte(name)) }

// MountInfo implements Syscall. thread-self matters: after unshare(CLONE_NEWNS)
// on a locked thread only that thread is in the new namespace.
func (Linux) MountInfo() ([]*mountinfo.Info, error) {
	return mountinfo.GetMounts(nil)
}

// ReadFile implements Syscall.
func (Linux) ReadFile(path string) ([]byte, error) { return readFile(path) }

func retryEINTR(fn func() error) error {
	for {
		err := fn()
		if err != unix.EINTR {
			return err
		}
	}
}
