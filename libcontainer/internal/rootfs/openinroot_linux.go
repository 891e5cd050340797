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
	how := unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for tries := 0; ; tries++ {
		fd, err := unix.Openat2(int(root.Fd()), p, &how)
		switch {
		case err == nil:
			return os.NewFile(uintptr(fd), path.Join("/", p)), nil
		case errors.Is(err, unix.ENOSYS):
			return pathrs.OpenatInRoot(root, p)
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
