package rootfs

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyUp implements runc's "tmpcopyup": copy what the destination directory
// held before the tmpfs covered it into the tmpfs. under is the pre-mount
// O_PATH handle: lookups relative to it stay on the covered directory (the
// kernel does not cross into a mount for the starting directory), so no
// second mount point is needed.
func (st *setup) copyUp(dest string, under, top *os.File) error {
	var a, b unix.Stat_t
	if err := unix.Fstat(int(under.Fd()), &a); err != nil {
		return fmt.Errorf("tmpcopyup %s: stat: %w", dest, err)
	}
	if err := unix.Fstat(int(top.Fd()), &b); err != nil {
		return fmt.Errorf("tmpcopyup %s: stat: %w", dest, err)
	}
	if a.Dev == b.Dev && a.Ino == b.Ino {
		// Nothing covers the directory (the mount was not performed, as
		// with a recording Syscall): there is nothing to copy.
		return nil
	}
	if err := copyDir(int(under.Fd()), int(top.Fd())); err != nil {
		return fmt.Errorf("tmpcopyup %s: %w", dest, err)
	}
	return nil
}

// copyDir copies the entries of directory src into directory dst (both
// O_PATH or real dir fds), preserving type, mode, owner and symlink targets.
func copyDir(src, dst int) error {
	dfd, err := unix.Openat(src, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open directory: %w", err)
	}
	dir := os.NewFile(uintptr(dfd), "copyup-src")
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("read directory: %w", err)
	}
	for _, name := range names {
		if err := copyEntry(src, dst, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func copyEntry(src, dst int, name string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(src, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	perm := st.Mode &^ unix.S_IFMT
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := unix.Mkdirat(dst, name, perm); err != nil && !errors.Is(err, unix.EEXIST) {
			return err
		}
		s, err := unix.Openat(src, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(s)
		d, err := unix.Openat(dst, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(d)
		if err := copyDir(s, d); err != nil {
			return err
		}
	case unix.S_IFREG:
		s, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		sf := os.NewFile(uintptr(s), name)
		defer sf.Close()
		d, err := unix.Openat(dst, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
		if err != nil {
			return err
		}
		df := os.NewFile(uintptr(d), name)
		defer df.Close()
		if _, err := io.Copy(df, sf); err != nil {
			return err
		}
	case unix.S_IFLNK:
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(src, name, buf)
		if err != nil {
			return err
		}
		if err := unix.Symlinkat(string(buf[:n]), dst, name); err != nil {
			return err
		}
	default:
		if err := unix.Mknodat(dst, name, st.Mode, int(st.Rdev)); err != nil {
			return err
		}
	}
	if err := unix.Fchownat(dst, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		// Mkdirat/Openat/Mknodat modes went through the umask.
		if err := unix.Fchmodat(dst, name, perm, 0); err != nil {
			return err
		}
	}
	return nil
}
