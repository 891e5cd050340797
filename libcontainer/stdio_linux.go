package libcontainer

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// chownStdio gives the container's user the stdio the caller passed (a
// pipe, a file, a pty), as runc does, so the process can reopen them
// through /proc/self/fd (e.g. "echo > /dev/stderr"). Only the owner
// changes; stdio already the user's, or a null device, is left alone.
// EINVAL (the id is not mapped in the user namespace) and EPERM (the
// inode's owner is not) are no error: runc ignores them too.
func chownStdio(uid uint32) error {
	nullDev := unix.Mkdev(1, 3)
	for fd := 0; fd <= 2; fd++ {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			if errors.Is(err, unix.EBADF) {
				continue
			}
			return fmt.Errorf("fstat stdio fd %d: %w", fd, err)
		}
		if st.Uid == uid || (st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == nullDev) {
			continue
		}
		if err := unix.Fchown(fd, int(uid), -1); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EPERM) {
				continue
			}
			return fmt.Errorf("chown stdio fd %d to uid %d: %w", fd, uid, err)
		}
	}
	return nil
}
