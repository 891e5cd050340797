package libcontainer

import "errors"

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrNotExist: no container with that id under the root.
	ErrNotExist = errors.New("container does not exist")
	// ErrExist: a container with that id already exists.
	ErrExist = errors.New("container already exists")
	// ErrRunning: the operation needs a stopped container (or force).
	ErrRunning = errors.New("container is running")
	// ErrNotRunning: the operation needs a live container.
	ErrNotRunning = errors.New("container is not running")
	// ErrNotCreated: start needs a container in the created state.
	ErrNotCreated = errors.New("container is not in the created state")
)
