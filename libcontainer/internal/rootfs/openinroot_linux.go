package rootfs

import (
	"errors"
	"os"
	"path"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// openInRoot returns an O_PATH handle on p resolved inside root, the way
// the kernel would with root as "/": a single openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS). It is the lookup pathrs.OpenatInRoot does on
// kernels with openat2, without its two extras: a readlink of the new fd
// through a freshly verified procfs handle and a dup, which only give the
// *os.File its resolved name (messages use handlePath instead). They cost
// about 8 syscalls per lookup and ~25 lookups per container (see
// docs/performance.md). The kernel returns EAGAIN or EXDEV when a rename
// or mount races a ".." step; the lookup is retried a bounded number of
// times, as pathrs does. Without openat2 (ENOSYS) pathrs' userspace
// resolver is used.
func openInRoot(root *os.File, p string) (*os.File, error) {
	return openInRootFlags(root, p, 0)
}

// openInRootFlags is openInRoot with extra open flags (O_DIRECTORY).
func openInRootFlags(root *os.File, p string, flags uint64) (*os.File, error) {
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC | flags,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for tries := 0; ; tries++ {
		fd, err := unix.Openat2(int(root.Fd()), p, &how)
		switch {
		case err == nil:
			return os.NewFile(uintptr(fd), path.Join("/", p)), nil
		case errors.Is(err, unix.ENOSYS):
			h, err := pathrs.OpenatInRoot(root, p)
			if err == nil && flags&unix.O_DIRECTORY != 0 {
				var st unix.Stat_t
				if err = unix.Fstat(int(h.Fd()), &st); err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
					err = &os.PathError{Op: "open", Path: p, Err: unix.ENOTDIR}
				}
				if err != nil {
					h.Close()
					return nil, err
				}
			}
			return h, err
		case (err == unix.EAGAIN || err == unix.EXDEV) && tries < openInRootRetries:
			continue
		default:
			return nil, &os.PathError{Op: "openat2", Path: p, Err: err}
		}
	}
}

// openInRootRetries bounds the retries of a lookup that keeps racing
// renames or mounts (pathrs uses the same bound).
const openInRootRetries = 128

// mkdirAllInRoot returns an O_PATH handle on the directory p inside root,
// creating what is missing with pathrs.MkdirAllHandle. The directory
// usually exists (/, /dev, /dev/pts once mounted), and then a single
// openat2 is enough: MkdirAllHandle's lookup verifies each handle through
// procfs, about 15 syscalls even when there is nothing to create.
func mkdirAllInRoot(root *os.File, p string, mode os.FileMode) (*os.File, error) {
	h, err := openInRootFlags(root, p, unix.O_DIRECTORY)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return h, err
	}
	return pathrs.MkdirAllHandle(root, p, mode)
}
