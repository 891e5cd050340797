package intelrdt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// fakeResctrl lays out a resctrl root like /sys/fs/resctrl on a host
// with the given resources (info/<name> directories).
func fakeResctrl(t *testing.T, resources ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, r := range append([]string{""}, resources...) {
		require.NoError(t, os.MkdirAll(filepath.Join(root, "info", r), 0o755))
	}
	for _, f := range []string{"schemata", "tasks"} {
		require.NoError(t, os.WriteFile(filepath.Join(root, f), nil, 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(root, "mon_groups"), 0o755))
	return root
}

// fakeGroup is NewGroup with the fake's rmdir.
func fakeGroup(t *testing.T, root, id string, c *specs.LinuxIntelRdt) *Group {
	t.Helper()
	g, err := NewGroup(root, id, c)
	require.NoError(t, err)
	g.rmdir = os.RemoveAll
	return g
}

func readF(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

func TestRootFromMountinfo(t *testing.T) {
	const withResctrl = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:35 / /sys/fs/resctrl rw,relatime shared:20 - resctrl resctrl rw
`
	root, err := RootFrom(strings.NewReader(withResctrl))
	require.NoError(t, err)
	require.Equal(t, "/sys/fs/resctrl", root)

	_, err = RootFrom(strings.NewReader("22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"))
	require.ErrorIs(t, err, ErrNotMounted)
	require.EqualError(t, err, "resctrl filesystem is not mounted (Intel RDT / AMD QoS unavailable on this host)")
}

// This host has no resctrl: Root must say so (the create-time check).
func TestRootOnThisHost(t *testing.T) {
	root, err := Root()
	if err == nil {
		t.Skipf("resctrl is mounted at %s here", root)
	}
	require.ErrorIs(t, err, ErrNotMounted)
}

func TestApplyCreatesTheGroupWritesSchemataAndTasks(t *testing.T) {
	root := fakeResctrl(t, "L3", "MB", "L3_MON")
	c := &specs.LinuxIntelRdt{L3CacheSchema: "L3:0=7f0;1=1f", MemBwSchema: "MB:0=20;1=70", EnableMonitoring: true}
	g := fakeGroup(t, root, "ctr1", c)
	require.Equal(t, filepath.Join(root, "ctr1"), g.Path)
	require.Equal(t, filepath.Join(root, "ctr1", "mon_groups", "ctr1"), g.MonPath)
	require.True(t, g.Owned)
	require.NoDirExists(t, g.Path, "NewGroup must only plan")

	require.NoError(t, g.Apply(c, 4242))
	require.Equal(t, "L3:0=7f0;1=1f\nMB:0=20;1=70\n", readF(t, filepath.Join(g.Path, "schemata")))
	require.Equal(t, "4242", readF(t, filepath.Join(g.Path, "tasks")))
	require.Equal(t, "4242", readF(t, filepath.Join(g.MonPath, "tasks")))

	require.NoError(t, g.Set(root, "L3:0=ff;1=ff", ""))
	require.Equal(t, "L3:0=ff;1=ff\n", readF(t, filepath.Join(g.Path, "schemata")))

	require.NoError(t, g.Destroy())
	require.NoDirExists(t, g.Path)
	require.DirExists(t, root)
	// Delete is repeatable.
	require.NoError(t, g.Destroy())
}

func TestSchemataOverridesTheSchemaFields(t *testing.T) {
	root := fakeResctrl(t, "L3", "MB", "L2")
	c := &specs.LinuxIntelRdt{Schemata: []string{"L2:0=3", "MB:0=50"}, L3CacheSchema: "L3:0=1"}
	g := fakeGroup(t, root, "c", c)
	require.NoError(t, g.Apply(c, 1))
	require.Equal(t, "L2:0=3\nMB:0=50\n", readF(t, filepath.Join(g.Path, "schemata")))
}

// A group named by closID that exists already is shared: joined, never
// removed.
func TestExistingClosIDGroupIsJoinedAndKept(t *testing.T) {
	root := fakeResctrl(t, "L3")
	require.NoError(t, os.Mkdir(filepath.Join(root, "gold"), 0o755))
	c := &specs.LinuxIntelRdt{ClosID: "gold"}
	g := fakeGroup(t, root, "ctr", c)
	require.Equal(t, filepath.Join(root, "gold"), g.Path)
	require.False(t, g.Owned)
	require.NoError(t, g.Apply(c, 7))
	require.Equal(t, "7", readF(t, filepath.Join(root, "gold", "tasks")))
	require.NoError(t, g.Destroy())
	require.DirExists(t, filepath.Join(root, "gold"))

	// A group named after the container must be new.
	require.NoError(t, os.Mkdir(filepath.Join(root, "ctr"), 0o755))
	_, err := NewGroup(root, "ctr", &specs.LinuxIntelRdt{})
	require.ErrorContains(t, err, "resctrl group "+filepath.Join(root, "ctr")+" already exists")

	// A new closID group is the runtime's own.
	g = fakeGroup(t, root, "ctr", &specs.LinuxIntelRdt{ClosID: "silver"})
	require.True(t, g.Owned)
}

func TestValidateAgainstTheHostsResources(t *testing.T) {
	root := fakeResctrl(t, "L3")
	tests := []struct {
		name string
		c    specs.LinuxIntelRdt
		want string
	}{
		{"no MBA", specs.LinuxIntelRdt{MemBwSchema: "MB:0=50"}, "linux.intelRdt.memBwSchema: the host's resctrl has no MB resource"},
		{"L3 field with MB line", specs.LinuxIntelRdt{L3CacheSchema: "MB:0=50"}, `linux.intelRdt.l3CacheSchema: "MB:0=50" is a MB line, want L3`},
		{"not a line", specs.LinuxIntelRdt{L3CacheSchema: "7f0"}, "is not a schemata line"},
		{"schemata resource missing", specs.LinuxIntelRdt{Schemata: []string{"L3:0=1", "L2:0=1"}}, "linux.intelRdt.schemata[1]: the host's resctrl has no L2 resource"},
		{"no monitoring", specs.LinuxIntelRdt{EnableMonitoring: true}, "linux.intelRdt.enableMonitoring"},
		{"closID with slash", specs.LinuxIntelRdt{ClosID: "a/b"}, `linux.intelRdt.closID "a/b"`},
		{"closID reserved", specs.LinuxIntelRdt{ClosID: "info"}, `linux.intelRdt.closID "info"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewGroup(root, "c", &tc.c)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := NewGroup(root, "c", &specs.LinuxIntelRdt{L3CacheSchema: "L3CODE:0=f"})
	require.ErrorContains(t, err, "no L3CODE resource", "a CDP line needs CDP on the host")
	require.NoError(t, os.Mkdir(filepath.Join(root, "info", "L3CODE"), 0o755))
	_, err = NewGroup(root, "c", &specs.LinuxIntelRdt{L3CacheSchema: "L3CODE:0=f"})
	require.NoError(t, err)
}

// The kernel refusing a schemata (here: the fake's schemata is a
// directory) fails naming the lines.
func TestApplyReportsARefusedSchemata(t *testing.T) {
	root := fakeResctrl(t, "L3")
	c := &specs.LinuxIntelRdt{L3CacheSchema: "L3:0=7f0"}
	g := fakeGroup(t, root, "c", c)
	require.NoError(t, os.MkdirAll(filepath.Join(g.Path, "schemata"), 0o755))
	err := g.writeSchemata(schemata(c))
	require.ErrorContains(t, err, `linux.intelRdt: write schemata "L3:0=7f0"`)
}
