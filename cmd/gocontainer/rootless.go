package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gocontainer/gocontainer/libcontainer"
	"github.com/gocontainer/gocontainer/ocicli"
)

// rootDirName is the state directory's name under $XDG_RUNTIME_DIR.
const rootDirName = "gocontainer"

// DefaultRoot is --root's default: $XDG_RUNTIME_DIR/gocontainer for a
// caller that is not the host's root (runc: $XDG_RUNTIME_DIR/runc), else
// /run/gocontainer.
func (h *handler) DefaultRoot() string {
	if xdg, ok := xdgRoot(); ok {
		return xdg
	}
	return ocicli.DefaultRoot
}

// xdgRoot is $XDG_RUNTIME_DIR/gocontainer when runc would honour
// XDG_RUNTIME_DIR: for a non-zero euid, and for uid 0 in a user namespace
// unless $USER is "root" (a rootless Podman sets USER to the real user;
// root's login shell inside a user namespace keeps /run/gocontainer).
// Root in the initial namespace ignores it (XDG_RUNTIME_DIR=/run/user/0
// must not move root's containers).
func xdgRoot() (string, bool) {
	xdg := os.Getenv("XDG_RUNTIME_DIR")
	if xdg == "" {
		return "", false
	}
	if os.Geteuid() == 0 {
		if !libcontainer.RunningInUserNS() {
			return "", false
		}
		if u, ok := os.LookupEnv("USER"); ok && u == "root" {
			return "", false
		}
	}
	return filepath.Join(xdg, rootDirName), true
}

// prepareRoot creates the default XDG state root with the sticky bit: the
// XDG base directory spec lets the session manager prune files in
// XDG_RUNTIME_DIR that are not touched for 6 hours unless they have it.
// A --root given on the command line is left as is (Build creates it).
func prepareRoot(g *ocicli.GlobalOptions) error {
	if g.RootSet {
		return nil
	}
	xdg, ok := xdgRoot()
	if !ok || g.Root != xdg {
		return nil
	}
	if err := os.MkdirAll(xdg, 0o700); err != nil {
		return fmt.Errorf("state root %s: %w", xdg, err)
	}
	if err := os.Chmod(xdg, 0o700|os.ModeSticky); err != nil {
		return fmt.Errorf("state root %s: %w", xdg, err)
	}
	return nil
}

// rootlessCgroups is --rootless as runc reads it: true and false force
// the mode; auto (the default) means rootless unless the systemd driver
// is asked for or the runtime is the host's root (euid 0 outside any user
// namespace).
func rootlessCgroups(g *ocicli.GlobalOptions) bool {
	switch g.Rootless {
	case ocicli.RootlessTrue:
		return true
	case ocicli.RootlessFalse:
		return false
	}
	if g.SystemdCgroup {
		return false
	}
	return libcontainer.RootlessEUID()
}
