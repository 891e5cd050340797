package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcontainer"
	"github.com/gocontainer/gocontainer/ocicli"
)

// defaultImagePath is runc's default --image-path: ./checkpoint.
func defaultImagePath(p string) (string, error) {
	if p != "" {
		return filepath.Abs(p)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("--image-path: %w", err)
	}
	return filepath.Join(wd, "checkpoint"), nil
}

func (h *handler) Checkpoint(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.CheckpointOptions) error {
	img, err := defaultImagePath(o.ImagePath)
	if err != nil {
		return err
	}
	c, _, err := h.load(g, o.ID)
	if err != nil {
		return err
	}
	return c.Checkpoint(ctx, libcontainer.CheckpointOptions{
		ImagePath: img, WorkPath: o.WorkPath, ParentPath: o.ParentPath,
		LeaveRunning: o.LeaveRunning, TCPEstablished: o.TCPEstablished, TCPSkipInFlight: o.TCPSkipInFlight,
		LinkRemap: o.LinkRemap, ExtUnixSk: o.ExtUnixSk, ShellJob: o.ShellJob, LazyPages: o.LazyPages,
		StatusFd: o.StatusFd, PageServer: o.PageServer, FileLocks: o.FileLocks, PreDump: o.PreDump,
		ManageCgroupsMode: o.ManageCgroupsMode, EmptyNs: o.EmptyNs, AutoDedup: o.AutoDedup,
	})
}

func (h *handler) Restore(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.RestoreOptions) error {
	img, err := defaultImagePath(o.ImagePath)
	if err != nil {
		return err
	}
	log, err := newLogger(g)
	if err != nil {
		return err
	}
	if err := prepareRoot(g); err != nil {
		return err
	}
	b := libcontainer.NewContainerBuilder(o.ID, g.Root).
		WithPidFile(o.PidFile).
		WithConsoleSocket(o.ConsoleSocket).
		WithLogger(log).
		AsInit(o.Bundle).
		WithNoPivot(o.NoPivot).
		WithSystemd(g.SystemdCgroup).
		WithRootlessCgroups(rootlessCgroups(g))
	sigs := make(chan os.Signal, 64)
	if !o.Detach {
		signal.Notify(sigs)
		defer signal.Stop(sigs)
	}
	c, err := b.Restore(ctx, libcontainer.RestoreOptions{
		ImagePath: img, WorkPath: o.WorkPath, TCPEstablished: o.TCPEstablished, ExtUnixSk: o.ExtUnixSk,
		ShellJob: o.ShellJob, FileLocks: o.FileLocks, ManageCgroupsMode: o.ManageCgroupsMode,
		EmptyNs: o.EmptyNs, AutoDedup: o.AutoDedup, LazyPages: o.LazyPages,
		LsmProfile: o.LsmProfile, LsmMountContext: o.LsmMountContext, NoSubreaper: o.NoSubreaper,
	})
	if err != nil {
		return err
	}
	if o.Detach {
		return nil
	}
	// Foreground, as runc: wait for the restored process, relay signals,
	// then remove the container and exit with its status.
	code, err := forwardSignals(c.Wait, func(sig unix.Signal) error { return c.Kill(sig, false) }, sigs, nil, log)
	if derr := c.Delete(ctx, true); derr != nil && err == nil {
		err = derr
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return &ocicli.ExitError{Code: code}
	}
	return nil
}
