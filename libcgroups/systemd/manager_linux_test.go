package systemd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups"
	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/internal/fakecg"
	"github.com/gocontainer/gocontainer/libcgroups/systemd"
)

// env is a fake cgroup2 tree with a fake systemd managing it on a private
// bus.
type env struct {
	tree *fakecg.Tree
	sd   *fakeSystemd
	bus  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	addr := privateBus(t)
	tr := fakecg.New(t, common.Unified, nil, []string{"cpu", "cpuset", "io", "memory", "pids"})
	h := tr.Host()
	sd := startFakeSystemd(t, addr, tr.Root, h.Mkdir, h.Rmdir)
	return &env{tree: tr, sd: sd, bus: addr}
}

func (e *env) config(path, id string) libcgroups.Config {
	return libcgroups.Config{Host: e.tree.Host(), Path: path, Name: id, Systemd: true, SystemdBus: e.bus}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

func TestLifecycleOverFakeSystemd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: an unprivileged caller uses the user instance")
	}
	e := newEnv(t)
	m, err := libcgroups.New(e.config("", "c1"))
	require.NoError(t, err)
	dir := filepath.Join(e.tree.Root, "system.slice", "gocontainer-c1.scope")
	require.Equal(t, map[string]string{"": dir}, m.Paths())
	require.NoDirExists(t, dir, "New must not create anything")
	require.Empty(t, e.sd.Calls())

	require.NoError(t, m.Apply(4242))
	u := e.sd.unit("gocontainer-c1.scope")
	require.NotNil(t, u)
	require.Equal(t, "system.slice", u.props["Slice"].Value())
	require.Equal(t, true, u.props["Delegate"].Value())
	require.Equal(t, []uint32{4242}, u.props["PIDs"].Value())
	require.Equal(t, "inactive-or-failed", u.props["CollectMode"].Value())
	require.Equal(t, "4242", readFile(t, filepath.Join(dir, "cgroup.procs")))

	limit := int64(64 << 20)
	pids := int64(50)
	require.NoError(t, m.Set(&specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: &limit},
		Pids:    &specs.LinuxPids{Limit: &pids},
		Unified: map[string]string{"memory.high": "50331648"},
	}))
	u = e.sd.unit("gocontainer-c1.scope")
	require.Equal(t, uint64(67108864), u.props["MemoryMax"].Value())
	require.Equal(t, uint64(50), u.props["TasksMax"].Value())
	require.Equal(t, uint64(50331648), u.props["MemoryHigh"].Value())
	// The same limits are in the cgroup, written directly.
	require.Equal(t, "67108864", readFile(t, filepath.Join(dir, "memory.max")))
	require.Equal(t, "50", readFile(t, filepath.Join(dir, "pids.max")))
	require.Equal(t, "50331648", readFile(t, filepath.Join(dir, "memory.high")))

	// A later command loads the manager from the saved paths without a bus
	// until it needs one.
	loaded, err := libcgroups.Load(e.config("", "c1"), m.Paths())
	require.NoError(t, err)
	st, err := loaded.FreezerState()
	require.NoError(t, err)
	require.Equal(t, libcgroups.Thawed, st)
	n := len(e.sd.Calls())
	require.NoError(t, loaded.Destroy())
	calls := e.sd.Calls()[n:]
	require.Equal(t, []string{"StopUnit gocontainer-c1.scope replace", "ResetFailedUnit gocontainer-c1.scope"}, calls)
	require.Nil(t, e.sd.unit("gocontainer-c1.scope"))
	require.NoDirExists(t, dir)
	// Destroying again is fine: the unit is gone.
	require.NoError(t, loaded.Destroy())
}

func TestNestedSliceAndPrefix(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: an unprivileged caller uses the user instance")
	}
	e := newEnv(t)
	m, err := libcgroups.New(e.config("gc-test.slice:pfx:n1", "c1"))
	require.NoError(t, err)
	require.NoError(t, m.Apply(7))
	dir := filepath.Join(e.tree.Root, "gc.slice", "gc-test.slice", "pfx-n1.scope")
	require.Equal(t, dir, m.Paths()[""])
	require.DirExists(t, dir)
	require.Equal(t, "gc-test.slice", e.sd.unit("pfx-n1.scope").props["Slice"].Value())
	require.NoError(t, m.Destroy())
	require.NoDirExists(t, dir)
}

func TestUserInstanceUsesManagersCgroup(t *testing.T) {
	e := newEnv(t)
	e.sd.with(func(f *fakeSystemd) { f.managerCG = "/user.slice/user-1000.slice/user@1000.service" })
	cfg := e.config("", "c2")
	cfg.Rootless = true
	m, err := libcgroups.New(cfg)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(e.tree.Root, "user.slice/user-1000.slice/user@1000.service/user.slice/gocontainer-c2.scope"), m.Paths()[""])
}

func TestJobResultIsAwaited(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: an unprivileged caller uses the user instance")
	}
	t.Run("failed job", func(t *testing.T) {
		e := newEnv(t)
		e.sd.with(func(f *fakeSystemd) { f.jobResult = "failed" })
		m, err := libcgroups.New(e.config("", "c3"))
		require.NoError(t, err)
		err = m.Apply(1)
		require.ErrorIs(t, err, systemd.ErrRefused)
		require.ErrorContains(t, err, `StartTransientUnit gocontainer-c3.scope: job result "failed"`)
	})
	t.Run("signal before the reply", func(t *testing.T) {
		e := newEnv(t)
		e.sd.with(func(f *fakeSystemd) { f.signalEarl = true })
		m, err := libcgroups.New(e.config("", "c4"))
		require.NoError(t, err)
		require.NoError(t, m.Apply(1))
	})
	t.Run("job that never ends", func(t *testing.T) {
		e := newEnv(t)
		e.sd.with(func(f *fakeSystemd) { f.noJobEnd = true })
		m, err := systemd.New(systemd.Options{ID: "c5", Bus: e.bus, Timeout: 300 * time.Millisecond}, func(string) (systemd.FS, error) { return nil, nil })
		require.NoError(t, err)
		start := time.Now()
		err = m.Apply(1)
		require.ErrorContains(t, err, "not finished: context deadline exceeded")
		require.Less(t, time.Since(start), 5*time.Second)
	})
}

func TestUnitExists(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: an unprivileged caller uses the user instance")
	}
	e := newEnv(t)
	m1, err := libcgroups.New(e.config("system.slice:gc:dup", "a"))
	require.NoError(t, err)
	require.NoError(t, m1.Apply(1))
	m2, err := libcgroups.New(e.config("system.slice:gc:dup", "b"))
	require.NoError(t, err)
	err = m2.Apply(2)
	require.ErrorIs(t, err, systemd.ErrUnitExists)
	require.EqualError(t, err, "linux.cgroupsPath: unit gc-dup.scope already exists (state active): unit already exists")
	// The failed create cleans up: that must not stop the other's unit.
	n := len(e.sd.Calls())
	require.NoError(t, m2.Destroy())
	require.Len(t, e.sd.Calls(), n, "no StopUnit for a unit this manager did not start")
	require.Equal(t, "active", e.sd.unit("gc-dup.scope").state)
	require.DirExists(t, m1.Paths()[""])

	// A failed leftover is reset and replaced.
	e.sd.with(func(f *fakeSystemd) { f.units["gc-dup.scope"].state = "failed" })
	require.NoError(t, m2.Apply(3))
	require.Equal(t, []uint32{3}, e.sd.unit("gc-dup.scope").props["PIDs"].Value())
}

func TestRefusedProperty(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: an unprivileged caller uses the user instance")
	}
	e := newEnv(t)
	m, err := libcgroups.New(e.config("", "c6"))
	require.NoError(t, err)
	require.NoError(t, m.Apply(1))
	e.sd.with(func(f *fakeSystemd) { f.refuse["MemoryMax"] = true })
	limit := int64(64 << 20)
	err = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}})
	require.ErrorIs(t, err, systemd.ErrRefused)
	require.ErrorContains(t, err, "set properties of gocontainer-c6.scope (MemoryMax=@t 67108864)")
	require.ErrorContains(t, err, "Cannot set property MemoryMax")
	require.NotContains(t, err.Error(), "\n")
	// Nothing was written directly either.
	require.Equal(t, "max", readFile(t, filepath.Join(m.Paths()[""], "memory.max")))
}

func TestBadResourcesChangeNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: an unprivileged caller uses the user instance")
	}
	e := newEnv(t)
	m, err := libcgroups.New(e.config("", "c7"))
	require.NoError(t, err)
	require.NoError(t, m.Apply(1))
	n := len(e.sd.Calls())
	err = m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "3-1"}})
	require.ErrorContains(t, err, "linux.resources.cpu.cpus")
	// A controller the tree lacks is found before systemd is told anything.
	err = m.Set(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}}})
	require.ErrorIs(t, err, libcgroups.ErrControllerUnavailable)
	require.Len(t, e.sd.Calls(), n, "no D-Bus call for refused input")
}

func TestNoBus(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	cfg := libcgroups.Config{Host: tr.Host(), Name: "c8", Systemd: true, SystemdBus: "unix:path=" + filepath.Join(t.TempDir(), "none")}
	_, err := libcgroups.New(cfg)
	require.ErrorIs(t, err, libcgroups.ErrNoSystemd)
	require.ErrorContains(t, err, "no systemd bus reachable")
	require.ErrorContains(t, err, "no such file or directory")
	require.NotContains(t, err.Error(), "\n")

	// A bus without systemd on it is no better.
	addr := privateBus(t)
	cfg.SystemdBus = addr
	_, err = libcgroups.New(cfg)
	require.ErrorIs(t, err, libcgroups.ErrNoSystemd)
	require.ErrorContains(t, err, "org.freedesktop.systemd1")
}

func TestMalformedPathBeforeBus(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	for path, want := range map[string]string{
		"/x":                 `linux.cgroupsPath: "/x" is not in the systemd form slice:prefix:name`,
		"system:gc:x":        `parent "system" is not a slice`,
		"system.slice:gc:":   "the name part is empty",
		"system.slice:g/c:x": "not allowed",
	} {
		_, err := libcgroups.New(libcgroups.Config{Host: tr.Host(), Name: "c9", Path: path, Systemd: true, SystemdBus: "unix:path=/nonexistent"})
		require.ErrorIs(t, err, libcgroups.ErrInvalidPath, path)
		require.ErrorContains(t, err, want, path)
	}
}

// TestHybridHostUsesLegacyPropertiesAndJoinsV1 is runc's behaviour on a
// hybrid host: systemd makes the unit in its hierarchy, the runtime joins
// the v1 controllers at the same path and writes the v1 files.
func TestHybridHostUsesLegacyPropertiesAndJoinsV1(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: an unprivileged caller uses the user instance")
	}
	addr := privateBus(t)
	tr := fakecg.New(t, common.Hybrid, nil, []string{"hugetlb"})
	h := tr.Host()
	sd := startFakeSystemd(t, addr, tr.UnifiedRoot(), h.Mkdir, h.Rmdir)
	sd.with(func(f *fakeSystemd) { f.controllers = []string{"hugetlb"} })
	m, err := libcgroups.New(libcgroups.Config{Host: h, Name: "h1", Systemd: true, SystemdBus: addr})
	require.NoError(t, err)
	paths := m.Paths()
	require.Equal(t, filepath.Join(tr.UnifiedRoot(), "system.slice/gocontainer-h1.scope"), paths[""])
	require.Equal(t, filepath.Join(tr.Root, "pids/system.slice/gocontainer-h1.scope"), paths["pids"])
	require.Equal(t, filepath.Join(tr.Root, "systemd/system.slice/gocontainer-h1.scope"), paths["name=systemd"])

	require.NoError(t, m.Apply(99))
	require.Equal(t, "99", readFile(t, filepath.Join(paths["pids"], "cgroup.procs")))
	require.Equal(t, "99", readFile(t, filepath.Join(paths["freezer"], "cgroup.procs")))
	require.Equal(t, true, sd.unit("gocontainer-h1.scope").props["BlockIOAccounting"].Value())

	limit := int64(30)
	require.NoError(t, m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}))
	require.Equal(t, uint64(30), sd.unit("gocontainer-h1.scope").props["TasksMax"].Value())
	require.Equal(t, "30", readFile(t, filepath.Join(paths["pids"], "pids.max")))

	// The processes are gone by the time a container is destroyed.
	for _, p := range paths {
		_ = os.WriteFile(filepath.Join(p, "cgroup.procs"), nil, 0)
		_ = os.WriteFile(filepath.Join(p, "tasks"), nil, 0)
	}
	require.NoError(t, m.Destroy())
	for k, p := range paths {
		require.NoDirExists(t, p, k)
	}
}
