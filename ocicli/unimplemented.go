package ocicli

import (
	"context"
	"fmt"
)

// UnimplementedHandler answers every command with ErrNotImplemented. Embed
// it in a Handler under construction so that it compiles while commands are
// added one by one; each missing command then fails with a clear
// "<command>: not implemented" instead of a panic.
type UnimplementedHandler struct{}

var _ Handler = UnimplementedHandler{}

func notImplemented(cmd string) error { return fmt.Errorf("%s: %w", cmd, ErrNotImplemented) }

func (UnimplementedHandler) Create(context.Context, *GlobalOptions, *CreateOptions) error {
	return notImplemented("create")
}

func (UnimplementedHandler) Start(context.Context, *GlobalOptions, *StartOptions) error {
	return notImplemented("start")
}

func (UnimplementedHandler) State(context.Context, *GlobalOptions, *StateOptions) error {
	return notImplemented("state")
}

func (UnimplementedHandler) Kill(context.Context, *GlobalOptions, *KillOptions) error {
	return notImplemented("kill")
}

func (UnimplementedHandler) Delete(context.Context, *GlobalOptions, *DeleteOptions) error {
	return notImplemented("delete")
}

func (UnimplementedHandler) Run(context.Context, *GlobalOptions, *RunOptions) error {
	return notImplemented("run")
}

func (UnimplementedHandler) List(context.Context, *GlobalOptions, *ListOptions) error {
	return notImplemented("list")
}

func (UnimplementedHandler) Exec(context.Context, *GlobalOptions, *ExecOptions) error {
	return notImplemented("exec")
}

func (UnimplementedHandler) Ps(context.Context, *GlobalOptions, *PsOptions) error {
	return notImplemented("ps")
}

func (UnimplementedHandler) Pause(context.Context, *GlobalOptions, *PauseOptions) error {
	return notImplemented("pause")
}

func (UnimplementedHandler) Resume(context.Context, *GlobalOptions, *ResumeOptions) error {
	return notImplemented("resume")
}

func (UnimplementedHandler) Events(context.Context, *GlobalOptions, *EventsOptions) error {
	return notImplemented("events")
}

func (UnimplementedHandler) Update(context.Context, *GlobalOptions, *UpdateOptions) error {
	return notImplemented("update")
}

func (UnimplementedHandler) Features(context.Context, *GlobalOptions, *FeaturesOptions) error {
	return notImplemented("features")
}

func (UnimplementedHandler) Checkpoint(context.Context, *GlobalOptions, *CheckpointOptions) error {
	return notImplemented("checkpoint")
}

func (UnimplementedHandler) Restore(context.Context, *GlobalOptions, *RestoreOptions) error {
	return notImplemented("restore")
}

func (UnimplementedHandler) Spec(context.Context, *GlobalOptions, *SpecOptions) error {
	return notImplemented("spec")
}
