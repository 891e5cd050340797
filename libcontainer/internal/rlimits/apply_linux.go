package rlimits

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Apply sets every limit in rl on the calling process, in order, and
// stops at the first failure. The error names the resource and the
// values, e.g. "setrlimit RLIMIT_NOFILE soft=2048 hard=1048576000:
// operation not permitted".
//
// unix.Prlimit (a linkname to the syscall package's prlimit) is used on
// purpose: for RLIMIT_NOFILE it also tells the Go runtime to stop
// restoring the soft limit it raised at start-up in the children it
// execs, so the container process sees the configured value.
func Apply(rl []specs.POSIXRlimit) error {
	return apply(0, rl)
}

// ApplyPid sets every limit in rl on process pid with prlimit(2). runc's
// parent does this for the container init, because a process inside a
// user namespace cannot raise its own hard limits.
func ApplyPid(pid int, rl []specs.POSIXRlimit) error {
	if pid <= 0 {
		return fmt.Errorf("prlimit: invalid pid %d", pid)
	}
	return apply(pid, rl)
}

func apply(pid int, rl []specs.POSIXRlimit) error {
	for _, l := range rl {
		r, err := Resource(l.Type)
		if err != nil {
			return err
		}
		lim := unix.Rlimit{Cur: l.Soft, Max: l.Hard}
		if err := unix.Prlimit(pid, r, &lim, nil); err != nil {
			op := "setrlimit"
			if pid != 0 {
				op = fmt.Sprintf("prlimit pid %d", pid)
			}
			return fmt.Errorf("%s %s soft=%d hard=%d: %w", op, l.Type, l.Soft, l.Hard, err)
		}
	}
	return nil
}
