package common

import "errors"

// Sentinel errors. Callers branch on them with errors.Is; the wrapped error
// text names the path or field involved.
var (
	// ErrNotExist means the container's cgroup directory does not exist (it was
	// never created or has been destroyed).
	ErrNotExist = errors.New("cgroup does not exist")
	// ErrInvalidPath means linux.cgroupsPath is malformed or escapes its root.
	ErrInvalidPath = errors.New("invalid cgroup path")
	// ErrNoCgroupFS means no cgroup filesystem was found at the configured root.
	ErrNoCgroupFS = errors.New("no cgroup filesystem found")
	// ErrControllerUnavailable means a resource was requested whose controller
	// is not mounted (v1) or not enabled for the cgroup (v2).
	ErrControllerUnavailable = errors.New("cgroup controller not available")
	// ErrFreezeTimeout means the kernel did not report the cgroup frozen in time.
	ErrFreezeTimeout = errors.New("timed out waiting for the cgroup to freeze")
)
