package libcgroups

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestRootlessRequested(t *testing.T) {
	limit := int64(10)
	mem := int64(1 << 20)
	cases := []struct {
		name string
		r    *specs.LinuxResources
		want []string
	}{
		{"nil", nil, nil},
		{"devices only", &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}, nil},
		{"empty groups", &specs.LinuxResources{Memory: &specs.LinuxMemory{}, CPU: &specs.LinuxCPU{}}, nil},
		{"pids", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}, []string{"pids"}},
		{"memory and pids", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}, Memory: &specs.LinuxMemory{Limit: &mem}}, []string{"memory", "pids"}},
		{"unified", &specs.LinuxResources{Unified: map[string]string{"pids.max": "5"}}, []string{"unified"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, requested(c.r))
		})
	}
}

func TestRootlessDelegated(t *testing.T) {
	root := t.TempDir()
	mk := func(p string) string {
		d := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, "cgroup.procs"), nil, 0o644))
		return d
	}
	userCg := mk("pids/user")
	rootCg := mk("pids/system")
	mk("unified/user")
	writable := map[string]bool{userCg: true, filepath.Join(userCg, "cgroup.procs"): true, filepath.Join(root, "unified/user"): true}
	access := func(p string, mode uint32) error {
		if writable[p] {
			return nil
		}
		return unix.EACCES
	}
	cases := []struct {
		name    string
		paths   map[string]string
		ok      bool
		blocker string
	}{
		{"new dirs under writable parents", map[string]string{"pids": userCg + "/c1/x", "": root + "/unified/user/c1"}, true, ""},
		{"existing dir with writable cgroup.procs", map[string]string{"pids": userCg}, true, ""},
		{"root-owned parent", map[string]string{"pids": rootCg + "/c1"}, false, rootCg},
		{"existing root-owned dir", map[string]string{"pids": rootCg}, false, filepath.Join(rootCg, "cgroup.procs")},
		{"one hierarchy not delegated is none", map[string]string{"pids": userCg + "/c1", "": root + "/unified/c1"}, false, root + "/unified"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, ok := delegated(c.paths, access)
			require.Equal(t, c.ok, ok)
			require.Equal(t, c.blocker, dir)
		})
	}
}

// recording is the part of a Manager the rootless wrappers call.
type recording struct {
	Manager
	paths map[string]string
	set   []*specs.LinuxResources
}

func (r *recording) Paths() map[string]string { return r.paths }
func (r *recording) Set(res *specs.LinuxResources) error {
	r.set = append(r.set, res)
	return nil
}

func TestRootlessNotDelegatedRefusesLimitsOnly(t *testing.T) {
	var logs bytes.Buffer
	n := &noCgroup{dir: "/sys/fs/cgroup/pids/x", log: slog.New(slog.NewTextHandler(&logs, nil))}
	require.NoError(t, n.Apply(123))
	limit := int64(5)
	err := n.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}})
	require.Error(t, err)
	require.Empty(t, logs.String(), "a refused create prints its error alone")
	devices := &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "rwm"}}}
	require.NoError(t, n.Set(devices))
	require.NoError(t, n.Set(devices))
	require.Equal(t, 1, strings.Count(logs.String(), "cgroups are not delegated"), "one warning: %s", logs.String())
	err = n.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}})
	require.ErrorIs(t, err, ErrNotDelegated)
	require.EqualError(t, err, "cannot set linux.resources.pids limits: the container could not join or create a cgroup: cgroup not delegated to this user (/sys/fs/cgroup/pids/x is not writable)")
	require.ErrorIs(t, n.Freeze(Frozen), ErrNotDelegated)
	_, err = n.Pids()
	require.ErrorIs(t, err, ErrNotDelegated)
	require.Empty(t, n.Paths())
	require.False(t, n.Exists())
}

func TestRootlessDelegatedDropsDeviceRules(t *testing.T) {
	rec := &recording{}
	d := &delegatedManager{Manager: rec, noDevices: true}
	limit := int64(5)
	in := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}, Devices: []specs.LinuxDeviceCgroup{{Access: "rwm"}}}
	require.NoError(t, d.Set(in))
	require.Len(t, rec.set, 1)
	require.Nil(t, rec.set[0].Devices)
	require.Equal(t, &limit, rec.set[0].Pids.Limit)
	require.Len(t, in.Devices, 1, "the caller's request is not modified")
}

func TestRootlessLoadWithoutPathsHasNoCgroup(t *testing.T) {
	m, err := Load(Config{Rootless: true}, nil)
	require.NoError(t, err)
	require.IsType(t, &noCgroup{}, m)
	_, err = Load(Config{}, nil)
	require.ErrorIs(t, err, ErrInvalidPath, "without Rootless no paths is still an error")
}

func TestRootlessDelegatedKeepsDeviceRulesForHostRoot(t *testing.T) {
	rec := &recording{}
	d := &delegatedManager{Manager: rec, noDevices: false}
	in := &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "rwm"}}}
	require.NoError(t, d.Set(in))
	require.Len(t, rec.set, 1)
	require.Len(t, rec.set[0].Devices, 1)
}
