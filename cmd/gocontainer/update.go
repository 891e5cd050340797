package main

import (
	"context"
	"log/slog"

	"github.com/gocontainer/gocontainer/ocicli"
)

// Update changes the cgroup limits of a container, from --resources (a
// file or stdin) or from the resource flags; see libcontainer's
// Container.Update for what "unchanged" means.
func (h *handler) Update(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.UpdateOptions) error {
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
	// runc reads the Intel RDT schemas from their flags even with
	// --resources. They go first: on a host without resctrl the update
	// fails before any cgroup limit changed.
	if o.L3CacheSchema != nil || o.MemBwSchema != nil {
		if err := c.UpdateIntelRdt(deref(o.L3CacheSchema), deref(o.MemBwSchema)); err != nil {
			return err
		}
	}
	return c.Update(r)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
