package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Hook kinds, as named in config.json's hooks object.
const (
	Prestart        = "prestart"
	CreateRuntime   = "createRuntime"
	CreateContainer = "createContainer"
	StartContainer  = "startContainer"
	Poststart       = "poststart"
	Poststop        = "poststop"
)

// maxOutput bounds how much of a hook's stdout and stderr is kept; the
// rest is discarded so a chatty hook cannot exhaust the runtime's memory.
const maxOutput = 64 << 10

// waitDelay is how long Run waits for a killed hook's pipes to close (a
// daemonised grandchild may hold them open) before giving up on them.
const waitDelay = 2 * time.Second

// ErrTimeout is wrapped by the error of a hook that ran past its timeout.
var ErrTimeout = errors.New("timed out")

// Error describes one failed hook.
type Error struct {
	Kind  string // hook kind, e.g. "prestart"
	Index int    // index in the config's list for that kind, from 0
	Path  string // hook path
	// Stdout and Stderr hold the start of what the hook wrote.
	Stdout, Stderr string
	Err            error
}

// Error is one line: `prestart hook #1 (/bin/x): exit status 3, stderr: "boom"`.
func (e *Error) Error() string {
	msg := fmt.Sprintf("%s hook #%d (%s): %v", e.Kind, e.Index, e.Path, e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		// %q keeps a multi-line stderr on one line.
		msg += fmt.Sprintf(", stderr: %q", s)
	}
	return msg
}

// Unwrap returns the underlying error (an *exec.ExitError, ErrTimeout,
// a context error, or an exec start error).
func (e *Error) Unwrap() error { return e.Err }

// Run runs hooks in order and stops at the first failure, which it returns
// as an *Error naming kind, the hook's index (from 0, as runc counts),
// path and exit status. state is the OCI state JSON written to each
// hook's stdin. Cancelling ctx kills the running hook.
func Run(ctx context.Context, hooks []specs.Hook, state []byte, kind string) error {
	for i, h := range hooks {
		if err := runOne(ctx, h, state, kind, i); err != nil {
			return err
		}
	}
	return nil
}

// RunAll runs every hook even when some fail, logs each failure as a
// warning on log (which may be nil), and returns all failures joined
// (errors.Join), or nil.
func RunAll(ctx context.Context, hooks []specs.Hook, state []byte, kind string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var errs []error
	for i, h := range hooks {
		if err := runOne(ctx, h, state, kind, i); err != nil {
			log.Warn("hook failed", slog.String("kind", kind), slog.Int("index", i),
				slog.String("path", h.Path), slog.Any("error", err))
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func runOne(ctx context.Context, h specs.Hook, state []byte, kind string, i int) error {
	var stdout, stderr limitedBuffer
	fail := func(err error) error {
		return &Error{Kind: kind, Index: i, Path: h.Path, Err: err,
			Stdout: stdout.String(), Stderr: stderr.String()}
	}
	if !filepath.IsAbs(h.Path) {
		// Never search PATH: the spec requires an absolute path, and a
		// relative one would resolve against the runtime's cwd.
		return fail(fmt.Errorf("path %q is not absolute", h.Path))
	}
	var timeout time.Duration
	if h.Timeout != nil {
		if *h.Timeout <= 0 {
			return fail(fmt.Errorf("timeout %d must be greater than zero", *h.Timeout))
		}
		timeout = time.Duration(*h.Timeout) * time.Second
	}
	hctx, cancel := ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		hctx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()

	args := h.Args
	if len(args) == 0 {
		args = []string{h.Path}
	}
	env := h.Env
	if env == nil {
		// A nil Env would make os/exec pass the runtime's environment.
		env = []string{}
	}
	cmd := exec.CommandContext(hctx, h.Path)
	cmd.Args = args
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(state)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	// Its own process group, so a timeout kills what the hook forked too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = waitDelay

	err := cmd.Run()
	if err == nil {
		return nil
	}
	if errors.Is(err, exec.ErrWaitDelay) && hctx.Err() == nil {
		// The hook exited 0 but left a process (a daemon it started)
		// holding its stdout or stderr open. The hook itself succeeded;
		// waiting for the daemon would hang the runtime.
		return nil
	}
	switch {
	case errors.Is(hctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		err = fmt.Errorf("%w after %s", ErrTimeout, timeout)
	case ctx.Err() != nil:
		err = ctx.Err()
	}
	return fail(err)
}

// limitedBuffer keeps the first maxOutput bytes written to it and
// silently drops the rest (it never fails, so the hook never sees EPIPE).
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
