package libcgroups

import (
	"errors"
	"fmt"
	"os"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/systemd"
)

// ErrNoSystemd means --systemd-cgroup was asked for and no systemd answered
// on any bus (see systemd.ErrNoBus).
var ErrNoSystemd = systemd.ErrNoBus

// systemdUser reports whether the systemd driver uses the caller's user
// instance: an unprivileged caller, or a rootless configuration (runc's
// rule: rootless + systemd means the user's own manager).
func systemdUser(cfg Config) bool { return cfg.Rootless || os.Geteuid() != 0 }

func systemdOptions(cfg Config, setup Setup) systemd.Options {
	return systemd.Options{
		Path: cfg.Path, ID: cfg.Name, User: systemdUser(cfg), V1: setup != Unified,
		Bus: cfg.SystemdBus, Logger: cfg.Logger,
	}
}

// newSystemd is New for the systemd driver: the unit's cgroup is found
// from systemd, and the cgroupfs manager of the host's setup works on it
// (an absolute path, the same in every hierarchy).
func newSystemd(cfg Config) (Manager, error) {
	host := cfg.Host.CachingProcSelf()
	setup, err := host.DetectSetup()
	if err != nil {
		return nil, err
	}
	m, err := systemd.New(systemdOptions(cfg, setup), func(cgroupPath string) (systemd.FS, error) {
		fcfg := cfg
		fcfg.Systemd, fcfg.Rootless, fcfg.Path = false, false, cgroupPath
		return newManager(fcfg)
	})
	if err != nil {
		if errors.Is(err, systemd.ErrInvalidPath) {
			return nil, fmt.Errorf("%w: %w", err, common.ErrInvalidPath)
		}
		return nil, err
	}
	return wrapSystemd(cfg, m), nil
}

// loadSystemd is Load for the systemd driver: no bus until Set or Destroy.
func loadSystemd(cfg Config, paths map[string]string) (Manager, error) {
	host := cfg.Host.CachingProcSelf()
	setup, err := host.DetectSetup()
	if err != nil {
		return nil, err
	}
	fcfg := cfg
	fcfg.Systemd, fcfg.Rootless = false, false
	fsm, err := load(fcfg, paths)
	if err != nil {
		return nil, err
	}
	m, err := systemd.Load(systemdOptions(cfg, setup), fsm)
	if err != nil {
		return nil, err
	}
	return wrapSystemd(cfg, m), nil
}

// wrapSystemd drops device rules for an unprivileged caller, whose user
// manager delegates the cgroup but who may not attach device programs:
// the kernel already refuses it every device it does not own.
func wrapSystemd(cfg Config, m *systemd.Manager) Manager {
	if systemdUser(cfg) && notHostRoot() {
		return &delegatedManager{Manager: m, noDevices: true}
	}
	return m
}
