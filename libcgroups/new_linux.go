package libcgroups

import (
	"fmt"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/fs"
	"github.com/gocontainer/gocontainer/libcgroups/fs2"
)

// DetectSetup tells how cgroups are mounted under root ("" means
// /sys/fs/cgroup). Use Host.DetectSetup to fake statfs in tests.
func DetectSetup(root string) (Setup, error) {
	return Host{Root: root}.DetectSetup()
}

// New returns the manager for the host's setup and the configured path. It
// reads /proc/self/cgroup and /proc/self/mountinfo but creates nothing.
// With cfg.Rootless the manager uses the tree only where it is delegated
// (see rootless_linux.go).
func New(cfg Config) (Manager, error) {
	if cfg.Systemd {
		return newSystemd(cfg)
	}
	m, err := newManager(cfg)
	if err != nil || !cfg.Rootless {
		return m, err
	}
	return newRootless(cfg, m), nil
}

func newManager(cfg Config) (Manager, error) {
	p := cfg.Path
	if p == "" {
		p = cfg.Name
	}
	if p == "" {
		return nil, fmt.Errorf("cgroup manager: linux.cgroupsPath and the container id are both empty: %w", ErrInvalidPath)
	}
	p, err := common.CleanPath(p)
	if err != nil {
		return nil, err
	}
	host := cfg.Host.CachingProcSelf()
	setup, err := host.DetectSetup()
	if err != nil {
		return nil, err
	}
	v1opts := fs.Options{Host: host, Path: p, Logger: cfg.Logger, FreezeTimeout: cfg.FreezeTimeout}
	v2opts := fs2.Options{Host: host, Setup: setup, Path: p, Resources: cfg.Resources, Logger: cfg.Logger, FreezeTimeout: cfg.FreezeTimeout}
	switch setup {
	case Legacy:
		return fs.New(v1opts)
	case Unified:
		return fs2.New(v2opts)
	}
	v1, err := fs.New(v1opts)
	if err != nil {
		return nil, err
	}
	v2, err := fs2.New(v2opts)
	if err != nil {
		return nil, err
	}
	return &hybridManager{v1: v1, v2: v2}, nil
}

// Load rebuilds the manager of an existing container from the paths its
// manager reported (Paths(), saved in state.json). cfg.Path and cfg.Name are
// not used: the saved paths are authoritative, so a relative cgroupsPath is
// not re-resolved against the cgroup of the command doing the loading.
func Load(cfg Config, paths map[string]string) (Manager, error) {
	if cfg.Systemd {
		return loadSystemd(cfg, paths)
	}
	if cfg.Rootless {
		if m, ok := loadRootless(paths); ok {
			return m, nil
		}
		m, err := load(cfg, paths)
		if err != nil {
			return nil, err
		}
		return &delegatedManager{Manager: m, noDevices: notHostRoot()}, nil
	}
	return load(cfg, paths)
}

func load(cfg Config, paths map[string]string) (Manager, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("load cgroup manager: no saved cgroup paths: %w", ErrInvalidPath)
	}
	host := cfg.Host.CachingProcSelf()
	setup, err := host.DetectSetup()
	if err != nil {
		return nil, err
	}
	v1opts := fs.Options{Host: host, Logger: cfg.Logger, FreezeTimeout: cfg.FreezeTimeout}
	v2opts := fs2.Options{Host: host, Setup: setup, Resources: cfg.Resources, Logger: cfg.Logger, FreezeTimeout: cfg.FreezeTimeout}
	dir2, has2 := paths[common.UnifiedKey]
	switch setup {
	case Legacy:
		return fs.Load(v1opts, paths)
	case Unified:
		if !has2 {
			return nil, fmt.Errorf("load cgroup manager: no cgroup v2 path (key \"\") in saved paths on a unified host: %w", ErrInvalidPath)
		}
		return fs2.Load(v2opts, dir2)
	}
	v1, err := fs.Load(v1opts, paths)
	if err != nil {
		return nil, err
	}
	if !has2 {
		return nil, fmt.Errorf("load cgroup manager: no cgroup v2 path (key \"\") in saved paths on a hybrid host: %w", ErrInvalidPath)
	}
	v2, err := fs2.Load(v2opts, dir2)
	if err != nil {
		return nil, err
	}
	return &hybridManager{v1: v1, v2: v2}, nil
}
