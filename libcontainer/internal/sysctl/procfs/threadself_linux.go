package procfs

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// OpenThreadSelf opens name relative to /proc/thread-self of the calling
// thread, as this procfs instance numbers it ("<pid>/task/<tid>"; the link
// is read and checked to be plain numbers, then opened without following
// links). Per-thread files such as attr/exec (the LSM label of the next
// execve) must be written for the thread that will call execve, which
// /proc/self (the thread group leader) is not necessarily.
func (h *Handle) OpenThreadSelf(name string, flags int) (*os.File, error) {
	buf := make([]byte, 64)
	n, err := unix.Readlinkat(int(h.root.Fd()), "thread-self", buf)
	if err != nil {
		return nil, &os.PathError{Op: "readlink", Path: "/proc/thread-self", Err: err}
	}
	target := string(buf[:n])
	parts := strings.Split(target, "/")
	if len(parts) != 3 || parts[1] != "task" {
		return nil, fmt.Errorf("readlink /proc/thread-self: unexpected target %q", target)
	}
	for _, p := range []string{parts[0], parts[2]} {
		if _, err := strconv.ParseUint(p, 10, 32); err != nil {
			return nil, fmt.Errorf("readlink /proc/thread-self: unexpected target %q", target)
		}
	}
	return h.OpenFile(target+"/"+name, flags)
}
