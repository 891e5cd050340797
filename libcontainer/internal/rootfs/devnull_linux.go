package rootfs

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// ReopenDevNull replaces stdio fds (0, 1, 2) that refer to a null device
// with the container's /dev/null, as runc does after the root switch: an
// inherited host /dev/null would otherwise keep a host inode open in the
// container. Call it after Pivot. Errors do not repeat the step's name:
// the caller names it ("reopen /dev/null: open: ...").
func ReopenDevNull() error {
	var null unix.Stat_t
	fd, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Fstat(fd, &null); err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	if null.Mode&unix.S_IFMT != unix.S_IFCHR || null.Rdev != unix.Mkdev(1, 3) {
		return ErrNotDevNull
	}
	for i := 0; i < 3; i++ {
		var st unix.Stat_t
		if err := unix.Fstat(i, &st); err != nil {
			continue // closed stdio fd: leave it
		}
		if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != null.Rdev {
			continue
		}
		// dup3 without O_CLOEXEC: stdio must survive the exec.
		if err := unix.Dup3(fd, i, 0); err != nil {
			return fmt.Errorf("onto fd %d: %w", i, err)
		}
	}
	return nil
}
