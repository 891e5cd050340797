package libcontainer

import (
	"errors"
	"fmt"
	"log/slog"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/libcontainer/internal/intelrdt"
)

// IntelRdtGroup is the container's resctrl group (linux.intelRdt), as
// state.json records it for update and delete.
type IntelRdtGroup struct {
	// Path is the group directory under the resctrl mount.
	Path string `json:"path"`
	// MonPath is its monitoring group (enableMonitoring), if any.
	MonPath string `json:"mon_path,omitempty"`
	// Owned says delete removes Path (a pre-existing closID group is
	// shared and kept).
	Owned bool `json:"owned,omitempty"`
}

func (g *IntelRdtGroup) group() *intelrdt.Group {
	return &intelrdt.Group{Path: g.Path, MonPath: g.MonPath, Owned: g.Owned}
}

// checkIntelRdt refuses linux.intelRdt on a host without resctrl, and
// schemas the host's resctrl does not offer, before anything is created.
func checkIntelRdt(l *specs.Linux) error {
	if l == nil || l.IntelRdt == nil {
		return nil
	}
	root, err := intelrdt.Root()
	if errors.Is(err, intelrdt.ErrNotMounted) {
		return mark(fmt.Errorf("linux.intelRdt: %w", err), ErrUnsupported)
	}
	if err != nil {
		return fmt.Errorf("linux.intelRdt: %w", err)
	}
	return intelrdt.Validate(root, l.IntelRdt)
}

// applyIntelRdt puts the init into its resctrl group. The group is
// recorded in state.json before it is created, so that delete -f after a
// create killed at any point removes it.
func (c *create) applyIntelRdt() error {
	l := c.spec.Linux
	if l == nil || l.IntelRdt == nil {
		return nil
	}
	root, err := intelrdt.Root()
	if err != nil {
		return fmt.Errorf("linux.intelRdt: %w", err)
	}
	g, err := intelrdt.NewGroup(root, c.state.ID, l.IntelRdt)
	if err != nil {
		return err
	}
	c.state.IntelRdt = &IntelRdtGroup{Path: g.Path, MonPath: g.MonPath, Owned: g.Owned}
	if err := saveState(c.dir, c.state); err != nil {
		return err
	}
	c.log.Debug("join resctrl group", slog.String("path", g.Path), slog.String("monitoring", g.MonPath))
	return g.Apply(l.IntelRdt, c.pid)
}

// destroyIntelRdt removes the container's resctrl group, if it has one.
func destroyIntelRdt(s *State) error {
	if s == nil || s.IntelRdt == nil {
		return nil
	}
	return s.IntelRdt.group().Destroy()
}

// UpdateIntelRdt changes the container's L3 cache and memory bandwidth
// allocation ("update --l3-cache-schema/--mem-bw-schema"); an empty schema
// leaves that resource alone. A container created without linux.intelRdt
// gets a resctrl group of its own first, as with runc. Without resctrl on
// the host it fails with the same error create gives.
func (c *Container) UpdateIntelRdt(l3CacheSchema, memBwSchema string) error {
	if l3CacheSchema == "" && memBwSchema == "" {
		return nil
	}
	root, err := intelrdt.Root()
	if err != nil {
		return fmt.Errorf("linux.intelRdt: %w", err)
	}
	l, err := c.lockForUpdate()
	if err != nil {
		return err
	}
	defer l.Close()
	cfg := &specs.LinuxIntelRdt{L3CacheSchema: l3CacheSchema, MemBwSchema: memBwSchema}
	if c.state.IntelRdt == nil {
		g, err := intelrdt.NewGroup(root, c.state.ID, cfg)
		if err != nil {
			return err
		}
		c.state.IntelRdt = &IntelRdtGroup{Path: g.Path, MonPath: g.MonPath, Owned: g.Owned}
		if err := saveState(c.dir, c.state); err != nil {
			return err
		}
		return g.Apply(cfg, c.state.InitPid)
	}
	return c.state.IntelRdt.group().Set(root, l3CacheSchema, memBwSchema)
}
