package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcontainer"
	"github.com/gocontainer/gocontainer/ocicli"
)

// execFailedCode is runc's exit status when exec fails before the process
// runs (containerd and Docker tell it apart from the process's own).
const execFailedCode = 255

func (h *handler) Exec(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.ExecOptions) error {
	// First, before the logger or anything else opens a file that could
	// take a free number among them.
	if err := libcontainer.CheckPreservedFDs(o.PreserveFDs + listenFDs()); err != nil {
		return &ocicli.ExitError{Code: execFailedCode, Err: fmt.Errorf("exec failed: --preserve-fds %d: %w", o.PreserveFDs, err)}
	}
	log, err := newLogger(g)
	if err != nil {
		return err
	}
	if o.PidfdSocket != "" {
		return &ocicli.ExitError{Code: execFailedCode, Err: errors.New("exec --pidfd-socket: not supported yet")}
	}
	tb := execBuilder(g, o, log)
	// Signals that arrive while the process starts are queued and
	// forwarded once it runs, so none is lost.
	sigs := make(chan os.Signal, 64)
	if !o.Detach {
		signal.Notify(sigs)
		defer signal.Stop(sigs)
	}
	p, err := tb.Build(ctx)
	if err != nil {
		if errors.Is(err, libcontainer.ErrTerminalUnsupported) {
			return &ocicli.ExitError{Code: execFailedCode, Err: err}
		}
		return &ocicli.ExitError{Code: execFailedCode, Err: fmt.Errorf("exec failed: %w", err)}
	}
	if o.Detach {
		p.Release()
		return nil
	}
	code, err := waitProcessForwarding(p, sigs, log)
	if err != nil {
		return err
	}
	if code != 0 {
		return &ocicli.ExitError{Code: code}
	}
	return nil
}

// execBuilder turns the exec flags into a TenantContainerBuilder.
func execBuilder(g *ocicli.GlobalOptions, o *ocicli.ExecOptions, log *slog.Logger) *libcontainer.TenantContainerBuilder {
	tb := libcontainer.NewContainerBuilder(o.ID, g.Root).
		WithPidFile(o.PidFile).
		WithConsoleSocket(o.ConsoleSocket).
		// runc passes the socket-activation fds too.
		WithPreserveFDs(o.PreserveFDs + listenFDs()).
		WithLogger(log).
		AsTenant().
		WithArgs(o.Args...).
		WithEnv(o.Env...).
		WithCwd(o.Cwd).
		WithAdditionalGids(o.AdditionalGids...).
		WithCapabilities(o.Caps...).
		WithAppArmorProfile(o.AppArmor).
		WithProcessLabel(o.ProcessLabel).
		WithTerminal(o.TTY).
		WithIgnorePaused(o.IgnorePaused).
		WithSubCgroups(o.SubCgroupPaths)
	if o.Process != "" {
		tb.WithProcessFile(o.Process)
	}
	if o.UID != nil {
		tb.WithUser(*o.UID, o.GID)
	}
	if o.NoNewPrivs != nil {
		tb.WithNoNewPrivileges(*o.NoNewPrivs)
	}
	return tb
}

// waitProcessForwarding relays every signal this process gets to the
// exec'd process until it exits, and returns its exit code.
func waitProcessForwarding(p *libcontainer.Process, sigs chan os.Signal, log *slog.Logger) (int, error) {
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := p.Wait()
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
			if err := p.Signal(sig); err != nil {
				log.Debug("forward signal", slog.Any("signal", sig), slog.Any("error", err))
			}
		}
	}
}
