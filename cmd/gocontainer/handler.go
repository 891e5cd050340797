package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"text/tabwriter"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcontainer"
	"github.com/gocontainer/gocontainer/libcontainer/specconv"
	"github.com/gocontainer/gocontainer/ocicli"
)

// handler wires the ocicli commands to libcontainer.
type handler struct {
	ocicli.UnimplementedHandler
}

func newHandler() *handler { return &handler{} }

// LogError records a failed command in the --log file, where containerd
// and conmon look for it.
func (h *handler) LogError(g *ocicli.GlobalOptions, err error) {
	if g.Log == "" {
		return // stderr already gets the error line
	}
	log, lerr := newLogger(g)
	if lerr != nil {
		return
	}
	// zapcore.Lock writes each entry straight to the file: nothing to sync.
	log.Error(err.Error())
}

func (h *handler) builder(g *ocicli.GlobalOptions, o *ocicli.CreateOptions) (*libcontainer.InitContainerBuilder, *slog.Logger, error) {
	log, err := newLogger(g)
	if err != nil {
		return nil, nil, err
	}
	if err := prepareRoot(g); err != nil {
		return nil, nil, err
	}
	b := libcontainer.NewContainerBuilder(o.ID, g.Root).
		WithPidFile(o.PidFile).
		WithConsoleSocket(o.ConsoleSocket).
		WithPreserveFDs(o.PreserveFDs + listenFDs()).
		WithLogger(log).
		AsInit(o.Bundle).
		WithNoPivot(o.NoPivot).
		WithNoNewKeyring(o.NoNewKeyring).
		WithSystemd(g.SystemdCgroup).
		WithRootlessCgroups(rootlessCgroups(g))
	return b, log, nil
}

// listenFDs is the number of socket-activation fds (LISTEN_FDS) passed to
// us for the container, which runc preserves in addition to --preserve-fds.
func listenFDs() int {
	if os.Getenv("LISTEN_PID") == fmt.Sprint(os.Getpid()) {
		var n int
		if _, err := fmt.Sscan(os.Getenv("LISTEN_FDS"), &n); err == nil && n > 0 {
			return n
		}
	}
	return 0
}

func (h *handler) load(g *ocicli.GlobalOptions, id string) (*libcontainer.Container, *slog.Logger, error) {
	log, err := newLogger(g)
	if err != nil {
		return nil, nil, err
	}
	c, err := libcontainer.Load(g.Root, id, log)
	return c, log, err
}

func (h *handler) Create(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.CreateOptions) error {
	b, _, err := h.builder(g, o)
	if err != nil {
		return err
	}
	_, err = b.Build(ctx)
	return err
}

func (h *handler) Start(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.StartOptions) error {
	c, _, err := h.load(g, o.ID)
	if err != nil {
		return err
	}
	return c.Start(ctx)
}

func (h *handler) Run(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.RunOptions) error {
	b, log, err := h.builder(g, &o.CreateOptions)
	if err != nil {
		return err
	}
	// Signals that arrive while the container starts are queued and
	// forwarded once the init runs, so none is lost.
	sigs := make(chan os.Signal, 64)
	if !o.Detach {
		signal.Notify(sigs)
		defer signal.Stop(sigs)
	}
	c, err := b.Build(ctx)
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		_ = c.Delete(ctx, true)
		return err
	}
	if o.Detach {
		return nil
	}
	code, err := waitForwarding(c, sigs, log)
	if !o.Keep {
		if derr := c.Delete(ctx, true); derr != nil && err == nil {
			err = derr
		}
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return &ocicli.ExitError{Code: code}
	}
	return nil
}

// waitForwarding relays every signal this process gets to the container's
// init until it exits, and returns its exit code.
func waitForwarding(c *libcontainer.Container, sigs chan os.Signal, log *slog.Logger) (int, error) {
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := c.Wait()
		done <- result{code, err}
	}()
	for {
		select {
		case r := <-done:
			return r.code, r.err
		case s := <-sigs:
			sig, ok := s.(unix.Signal)
			// SIGCHLD is ours (the init is our child); SIGURG is the Go
			// runtime's preemption signal, not the user's.
			if !ok || sig == unix.SIGCHLD || sig == unix.SIGURG {
				continue
			}
			if err := c.Kill(sig, false); err != nil {
				log.Debug("forward signal", slog.Any("signal", sig), slog.Any("error", err))
			}
		}
	}
}

func (h *handler) State(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.StateOptions) error {
	c, _, err := h.load(g, o.ID)
	if err != nil {
		return err
	}
	out := stateOutput(c)
	enc := json.NewEncoder(g.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// containerState is runc's "state" and "list --format json" document: the
// OCI state fields plus rootfs, created and owner.
type containerState struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

func stateOutput(c *libcontainer.Container) containerState {
	oci := c.OCIState()
	s := c.State()
	return containerState{
		OCIVersion: oci.Version, ID: oci.ID, Pid: oci.Pid, Status: string(oci.Status),
		Bundle: oci.Bundle, Rootfs: s.Rootfs, Created: s.Created, Annotations: oci.Annotations,
		Owner: s.Owner,
	}
}

func (h *handler) Kill(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.KillOptions) error {
	c, _, err := h.load(g, o.ID)
	if err != nil {
		return err
	}
	return c.Kill(unix.Signal(o.SignalNum), o.All)
}

func (h *handler) Delete(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.DeleteOptions) error {
	c, _, err := h.load(g, o.ID)
	if err != nil {
		// runc: delete --force of a container that does not exist succeeds.
		if o.Force && errors.Is(err, libcontainer.ErrNotExist) {
			return nil
		}
		return err
	}
	return c.Delete(ctx, o.Force)
}

func (h *handler) List(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.ListOptions) error {
	ids, err := libcontainer.List(g.Root)
	if err != nil {
		return err
	}
	log, err := newLogger(g)
	if err != nil {
		return err
	}
	var states []containerState
	for _, id := range ids {
		c, err := libcontainer.Load(g.Root, id, log)
		if err != nil {
			continue // removed while listing
		}
		states = append(states, stateOutput(c))
	}
	switch {
	case o.Quiet:
		for _, s := range states {
			fmt.Fprintln(g.Stdout, s.ID)
		}
	case o.Format == ocicli.FormatJSON:
		if states == nil {
			states = []containerState{}
		}
		return json.NewEncoder(g.Stdout).Encode(states)
	default:
		w := tabwriter.NewWriter(g.Stdout, 12, 1, 3, ' ', 0)
		fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
		for _, s := range states {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle,
				s.Created.Format(time.RFC3339Nano), s.Owner)
		}
		return w.Flush()
	}
	return nil
}

func (h *handler) Spec(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.SpecOptions) error {
	var s *specs.Spec = specconv.Example()
	if o.Rootless {
		specconv.ToRootless(s)
	}
	bundle := o.Bundle
	if bundle == "" {
		bundle = "."
	}
	return specconv.WriteSpec(filepath.Clean(bundle), s)
}

func (h *handler) Pause(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.PauseOptions) error {
	c, _, err := h.load(g, o.ID)
	if err != nil {
		return err
	}
	return c.Pause()
}

func (h *handler) Resume(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.ResumeOptions) error {
	c, _, err := h.load(g, o.ID)
	if err != nil {
		return err
	}
	return c.Resume()
}

func (h *handler) Features(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.FeaturesOptions) error {
	enc := json.NewEncoder(g.Stdout)
	enc.SetIndent("", "    ")
	return enc.Encode(libcontainer.Features())
}
