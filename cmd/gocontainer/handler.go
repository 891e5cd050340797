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

// builder prepares create/run; consoleFile, when not nil, is the socket the
// runtime itself receives the pty master on (foreground run).
func (h *handler) builder(g *ocicli.GlobalOptions, o *ocicli.CreateOptions, consoleFile *os.File) (*libcontainer.InitContainerBuilder, *slog.Logger, error) {
	if err := libcontainer.CheckPreservedFDs(listenFDs() + o.PreserveFDs); err != nil {
		return nil, nil, fmt.Errorf("--preserve-fds %d (after %d LISTEN_FDS): %w", o.PreserveFDs, listenFDs(), err)
	}
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
		WithConsoleSocketFile(consoleFile).
		WithPreserveFDs(o.PreserveFDs).
		WithListenFDs(listenFDs()).
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
	ps, err := dialPidfdSocket(o.PidfdSocket)
	if err != nil {
		return err
	}
	defer ps.Close()
	b, _, err := h.builder(g, o, nil)
	if err != nil {
		return err
	}
	c, err := b.Build(ctx)
	if err != nil {
		return err
	}
	if err := ps.send(c.State().InitPid); err != nil {
		_ = c.Delete(ctx, true)
		return err
	}
	return nil
}

func (h *handler) Start(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.StartOptions) error {
	c, _, err := h.load(g, o.ID)
	if err != nil {
		return err
	}
	return c.Start(ctx)
}

func (h *handler) Run(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.RunOptions) error {
	if !o.Detach && o.ConsoleSocket != "" {
		// runc's rule: a foreground run relays the terminal itself.
		return errors.New("cannot use console socket if gocontainer will not detach (run --console-socket needs --detach)")
	}
	// A foreground run without --console-socket receives the terminal
	// itself (used only when process.terminal is true).
	var consoleRuntime, consoleContainer *os.File
	if !o.Detach && o.ConsoleSocket == "" {
		var err error
		if consoleRuntime, consoleContainer, err = libcontainer.NewConsoleSocketPair(); err != nil {
			return err
		}
		defer consoleRuntime.Close()
		defer consoleContainer.Close()
	}
	ps, err := dialPidfdSocket(o.PidfdSocket)
	if err != nil {
		return err
	}
	defer ps.Close()
	b, log, err := h.builder(g, &o.CreateOptions, consoleContainer)
	if err != nil {
		return err
	}
	// Signals that arrive while the container starts are queued and
	// forwarded once the init runs, so none is lost.
	sigs := make(chan os.Signal, 64)
	if !o.Detach {
		// No signal.Stop: the process exits when the command returns, and
		// Stop hands every signal to the runtime's signal thread one by one
		// (about 0.5-1 ms at the end of every foreground run; see
		// docs/performance.md).
		signal.Notify(sigs)
	}
	c, err := b.Build(ctx)
	if err != nil {
		return err
	}
	if err := ps.send(c.State().InitPid); err != nil {
		_ = c.Delete(ctx, true)
		return err
	}
	var relay *libcontainer.TerminalRelay
	if consoleRuntime != nil && c.Terminal() {
		// The init sent the master before it reported ready.
		consoleContainer.Close()
		relay, err = startRelay(consoleRuntime)
		if err != nil {
			_ = c.Delete(ctx, true)
			return err
		}
		// Restores the user's terminal on every path out.
		defer relay.Close(0)
	}
	if err := c.Start(ctx); err != nil {
		_ = c.Delete(ctx, true)
		return err
	}
	if o.Detach {
		return nil
	}
	code, err := forwardSignals(c.Wait, func(sig unix.Signal) error { return c.Kill(sig, false) }, sigs, relay, log)
	closeRelay(relay, log)
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

// startRelay receives the container's terminal on sock and connects it to
// this process's stdio.
func startRelay(sock *os.File) (*libcontainer.TerminalRelay, error) {
	master, err := libcontainer.ReceiveConsole(sock)
	if err != nil {
		return nil, err
	}
	relay, err := libcontainer.NewTerminalRelay(master, os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		master.Close()
		return nil, err
	}
	return relay, nil
}

// forwardSignals relays every signal this process gets to the container
// process (through signal) until wait returns its exit code. With a
// terminal relay, SIGWINCH resizes the pty instead: the kernel signals the
// container's foreground process group itself when the size changes.
func forwardSignals(wait func() (int, error), signal func(unix.Signal) error, sigs chan os.Signal, relay *libcontainer.TerminalRelay, log *slog.Logger) (int, error) {
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := wait()
		done <- result{code, err}
	}()
	for {
		select {
		case r := <-done:
			return r.code, r.err
		case s := <-sigs:
			sig, ok := s.(unix.Signal)
			// SIGCHLD is ours (the process is our child); SIGURG is the Go
			// runtime's preemption signal, not the user's.
			if !ok || sig == unix.SIGCHLD || sig == unix.SIGURG {
				continue
			}
			if sig == unix.SIGWINCH && relay != nil {
				if err := relay.Resize(); err != nil {
					log.Debug("resize terminal", slog.Any("error", err))
				}
				continue
			}
			if err := signal(sig); err != nil {
				log.Debug("forward signal", slog.Any("signal", sig), slog.Any("error", err))
			}
		}
	}
}

// closeRelay lets everything the container wrote reach the user before the
// terminal is restored; a process that outlives the one waited for and
// keeps the terminal open is not waited for long.
func closeRelay(relay *libcontainer.TerminalRelay, log *slog.Logger) {
	if relay == nil {
		return
	}
	if err := relay.Close(2 * time.Second); err != nil {
		log.Debug("terminal relay", slog.Any("error", err))
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
	return enc.Encode(featuresDocument())
}
