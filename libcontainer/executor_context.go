package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ExecContext is what the container init knows at its very end that an
// executor choosing by container (not by process) needs.
type ExecContext struct {
	// Annotations are the container's (config.json annotations). They are
	// nil for a process started by exec: exec always runs the native
	// program it names, whatever handler the container's init used.
	Annotations map[string]string
}

// ContextExecutor is an Executor that also sees the ExecContext. The init
// calls ExecContext instead of Exec on executors that implement it; the
// contract is Exec's: decline with ErrExecutorCannotHandle, or do not
// return on success.
type ContextExecutor interface {
	Executor
	ExecContext(ctx ExecContext, p *specs.Process, path string) error
}

// runExecutor runs e, with ctx when it wants it.
func runExecutor(e Executor, ctx ExecContext, p *specs.Process, path string) error {
	if ce, ok := e.(ContextExecutor); ok {
		return ce.ExecContext(ctx, p, path)
	}
	return e.Exec(p, path)
}

// ExecutorChecker is an Executor that can tell, while the runtime still
// listens, that it would fail: create then fails with its error (one line,
// nothing left behind) instead of the container process failing after
// start. Check runs after the user switch and the lookup of path, with the
// same arguments Exec or ExecContext will get.
type ExecutorChecker interface {
	Check(ctx ExecContext, p *specs.Process, path string) error
}

// checkExecutors runs the checks of the executors that have one.
func checkExecutors(es []Executor, ctx ExecContext, p *specs.Process, path string) error {
	for _, e := range es {
		if c, ok := e.(ExecutorChecker); ok {
			if err := c.Check(ctx, p, path); err != nil {
				return err
			}
		}
	}
	return nil
}

// execContext is what this init tells executors.
func (in *initProcess) execContext() ExecContext {
	return ExecContext{Annotations: in.cfg.spec.Annotations}
}
