package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcontainer"
	"github.com/gocontainer/gocontainer/ocicli"
)

func TestRootlessCgroupsFlag(t *testing.T) {
	hostRoot := os.Geteuid() == 0 && !libcontainer.RunningInUserNS()
	cases := []struct {
		rootless string
		systemd  bool
		want     bool
	}{
		{ocicli.RootlessTrue, false, true},
		{ocicli.RootlessTrue, true, true},
		{ocicli.RootlessFalse, false, false},
		{ocicli.RootlessAuto, true, false},
		{ocicli.RootlessAuto, false, !hostRoot},
	}
	for _, c := range cases {
		g := &ocicli.GlobalOptions{Rootless: c.rootless, SystemdCgroup: c.systemd}
		require.Equal(t, c.want, rootlessCgroups(g), "--rootless=%s systemd=%v", c.rootless, c.systemd)
	}
}

func TestDefaultRootFollowsXDGOnlyWhenRootless(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", xdg)
	h := newHandler()
	if os.Geteuid() == 0 && !libcontainer.RunningInUserNS() {
		// Root keeps /run/gocontainer even with XDG_RUNTIME_DIR=/run/user/0.
		require.Equal(t, ocicli.DefaultRoot, h.DefaultRoot())
		return
	}
	want := filepath.Join(xdg, "gocontainer")
	require.Equal(t, want, h.DefaultRoot())
	g := &ocicli.GlobalOptions{Root: want}
	require.NoError(t, prepareRoot(g))
	fi, err := os.Stat(want)
	require.NoError(t, err)
	require.Equal(t, os.ModeDir|os.ModeSticky|0o700, fi.Mode())
}

func TestDefaultRootWithoutXDG(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "")
	require.Equal(t, ocicli.DefaultRoot, newHandler().DefaultRoot())
}
