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
	if err := libcontainer.CheckPreservedFDs(listenFDs() + o.PreserveFDs); err != nil {
		return &ocicli.ExitError{Code: execFailedCode, Err: fmt.Errorf("exec failed: --preserve-fds %d (after %d LISTEN_FDS): %w", o.PreserveFDs, listenFDs(), err)}
	}
	log, err := newLogger(g)
	if err != nil {
		return err
	}
	ps, err := dialPidfdSocket(o.PidfdSocket)
	if err != nil {
		return &ocicli.ExitError{Code: execFailedCode, Err: fmt.Errorf("exec failed: %w", err)}
	}
	defer ps.Close()
	if !o.Detach && o.ConsoleSocket != "" {
		// runc's rule: a foreground exec relays the terminal itself.
		return &ocicli.ExitError{Code: execFailedCode, Err: errors.New("exec failed: cannot use console socket if gocontainer will not detach (exec --console-socket needs --detach)")}
	}
	// A foreground exec receives the terminal itself (used only when the
	// process gets one: --tty, or terminal: true in --process).
	var consoleRuntime, consoleContainer *os.File
	if !o.Detach {
		if consoleRuntime, consoleContainer, err = libcontainer.NewConsoleSocketPair(); err != nil {
			return err
		}
		defer consoleRuntime.Close()
		defer consoleContainer.Close()
	}
	tb := execBuilder(g, o, consoleContainer, log)
	// Signals that arrive while the process starts are queued and
	// forwarded once it runs, so none is lost.
	sigs := make(chan os.Signal, 64)
	if !o.Detach {
		// No signal.Stop: the process exits when the command returns, and
		// Stop hands every signal to the runtime's signal thread one by one
		// (about 0.5-1 ms at the end of every foreground run; see
		// docs/performance.md).
		signal.Notify(sigs)
	}
	p, err := tb.Build(ctx)
	if err != nil {
		return &ocicli.ExitError{Code: execFailedCode, Err: fmt.Errorf("exec failed: %w", err)}
	}
	if err := ps.send(p.Pid()); err != nil {
		_ = p.Signal(unix.SIGKILL)
		_, _ = p.Wait()
		return &ocicli.ExitError{Code: execFailedCode, Err: fmt.Errorf("exec failed: %w", err)}
	}
	if o.Detach {
		p.Release()
		return nil
	}
	var relay *libcontainer.TerminalRelay
	if p.Terminal() {
		// The exec init sent the master before it executed the process.
		consoleContainer.Close()
		if relay, err = startRelay(consoleRuntime); err != nil {
			_ = p.Signal(unix.SIGKILL)
			_, _ = p.Wait()
			return &ocicli.ExitError{Code: execFailedCode, Err: fmt.Errorf("exec failed: %w", err)}
		}
		// Restores the user's terminal on every path out.
		defer relay.Close(0)
	}
	code, err := forwardSignals(p.Wait, p.Signal, sigs, relay, log)
	closeRelay(relay, log)
	if err != nil {
		return err
	}
	if code != 0 {
		return &ocicli.ExitError{Code: code}
	}
	return nil
}

// execBuilder turns the exec flags into a TenantContainerBuilder.
// consoleFile, when not nil, is the socket the runtime itself receives the
// pty master on (foreground exec).
func execBuilder(g *ocicli.GlobalOptions, o *ocicli.ExecOptions, consoleFile *os.File, log *slog.Logger) *libcontainer.TenantContainerBuilder {
	tb := libcontainer.NewContainerBuilder(o.ID, g.Root).
		WithPidFile(o.PidFile).
		WithConsoleSocket(o.ConsoleSocket).
		WithConsoleSocketFile(consoleFile).
		// runc passes the socket-activation fds too.
		WithListenFDs(listenFDs()).
		WithPreserveFDs(o.PreserveFDs).
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
