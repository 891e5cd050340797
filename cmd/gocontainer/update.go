package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gocontainer/gocontainer/libcontainer"
	"github.com/gocontainer/gocontainer/ocicli"
)

// Update changes the cgroup limits of a container, from --resources (a
// file or stdin) or from the resource flags; see libcontainer's
// Container.Update for what "unchanged" means.
func (h *handler) Update(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.UpdateOptions) error {
	// runc reads the Intel RDT schemas from their flags even with
	// --resources; gocontainer refuses linux.intelRdt at create, so there
	// is no resctrl group to write them to.
	if err := checkIntelRdtFlags(o); err != nil {
		return err
	}
	r, err := o.LinuxResources(g.Stdin)
	if err != nil {
		return err
	}
	c, log, err := h.load(g, o.ID)
	if err != nil {
		return err
	}
	for _, f := range o.IgnoredFlags {
		log.Warn("obsolete flag ignored: the kernel no longer has kernel memory limits", slog.String("flag", "--"+f))
	}
	return c.Update(r)
}

func checkIntelRdtFlags(o *ocicli.UpdateOptions) error {
	for _, f := range []struct {
		name string
		v    *string
	}{{"l3-cache-schema", o.L3CacheSchema}, {"mem-bw-schema", o.MemBwSchema}} {
		if f.v != nil {
			return fmt.Errorf("--%s: Intel RDT (linux.intelRdt) is %w by gocontainer", f.name, libcontainer.ErrUnsupported)
		}
	}
	return nil
}
