package libcontainer

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrExecutorCannotHandle lets an Executor decline a process so the next
// one (finally the default execve) runs it.
var ErrExecutorCannotHandle = errors.New("executor cannot handle this process")

// Executor is what the container init does at the very end (set through
// InitOptions by the binary that is re-executed as init), once the
// container is fully set up and started, instead of a plain execve. It runs
// inside the container with the final credentials; on success it does not
// return.
type Executor interface {
	Exec(p *specs.Process, path string) error
}
