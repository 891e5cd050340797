package ocicli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// call is one Handler invocation seen by recordingHandler.
type call struct {
	method string
	g      GlobalOptions
	opts   any
}

// recordingHandler records every call and returns err (or, for run and
// exec, exitErr) so tests can check what the CLI handed over.
type recordingHandler struct {
	calls []call
	err   error
}

func (r *recordingHandler) rec(m string, g *GlobalOptions, o any) error {
	gc := *g
	gc.Stdin, gc.Stdout, gc.Stderr = nil, nil, nil
	r.calls = append(r.calls, call{method: m, g: gc, opts: o})
	return r.err
}

func (r *recordingHandler) Create(_ context.Context, g *GlobalOptions, o *CreateOptions) error {
	return r.rec("create", g, o)
}
func (r *recordingHandler) Start(_ context.Context, g *GlobalOptions, o *StartOptions) error {
	return r.rec("start", g, o)
}
func (r *recordingHandler) State(_ context.Context, g *GlobalOptions, o *StateOptions) error {
	return r.rec("state", g, o)
}
func (r *recordingHandler) Kill(_ context.Context, g *GlobalOptions, o *KillOptions) error {
	return r.rec("kill", g, o)
}
func (r *recordingHandler) Delete(_ context.Context, g *GlobalOptions, o *DeleteOptions) error {
	return r.rec("delete", g, o)
}
func (r *recordingHandler) Run(_ context.Context, g *GlobalOptions, o *RunOptions) error {
	return r.rec("run", g, o)
}
func (r *recordingHandler) List(_ context.Context, g *GlobalOptions, o *ListOptions) error {
	return r.rec("list", g, o)
}
func (r *recordingHandler) Exec(_ context.Context, g *GlobalOptions, o *ExecOptions) error {
	return r.rec("exec", g, o)
}
func (r *recordingHandler) Ps(_ context.Context, g *GlobalOptions, o *PsOptions) error {
	return r.rec("ps", g, o)
}
func (r *recordingHandler) Pause(_ context.Context, g *GlobalOptions, o *PauseOptions) error {
	return r.rec("pause", g, o)
}
func (r *recordingHandler) Resume(_ context.Context, g *GlobalOptions, o *ResumeOptions) error {
	return r.rec("resume", g, o)
}
func (r *recordingHandler) Events(_ context.Context, g *GlobalOptions, o *EventsOptions) error {
	return r.rec("events", g, o)
}
func (r *recordingHandler) Update(_ context.Context, g *GlobalOptions, o *UpdateOptions) error {
	return r.rec("update", g, o)
}
func (r *recordingHandler) Features(_ context.Context, g *GlobalOptions, o *FeaturesOptions) error {
	return r.rec("features", g, o)
}
func (r *recordingHandler) Checkpoint(_ context.Context, g *GlobalOptions, o *CheckpointOptions) error {
	return r.rec("checkpoint", g, o)
}
func (r *recordingHandler) Restore(_ context.Context, g *GlobalOptions, o *RestoreOptions) error {
	return r.rec("restore", g, o)
}
func (r *recordingHandler) Spec(_ context.Context, g *GlobalOptions, o *SpecOptions) error {
	return r.rec("spec", g, o)
}

type result struct {
	code           int
	stdout, stderr string
	h              *recordingHandler
}

// runCLI runs the command line against a fresh recordingHandler.
func runCLI(t *testing.T, h *recordingHandler, args ...string) result {
	t.Helper()
	if h == nil {
		h = &recordingHandler{}
	}
	var out, errb bytes.Buffer
	code := ExecuteContext(context.Background(), args, h, VersionInfo{Version: "1.2.3", Spec: "1.3.0"}, strings.NewReader(""), &out, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String(), h: h}
}
