package fs_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/fs"
	"github.com/gocontainer/gocontainer/libcgroups/internal/fakecg"
)

func newManager(t *testing.T, tr *fakecg.Tree, path string) *fs.Manager {
	t.Helper()
	m, err := fs.New(fs.Options{Host: tr.Host(), Path: path, FreezeTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	return m
}

func TestPathsAbsoluteIgnoreOwnCgroup(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	tr.SelfCgroup = "4:memory:/process_api/x\n3:cpu,cpuacct:/y\n1:name=systemd:/z\n"
	m := newManager(t, tr, "/foo/bar")
	p := m.Paths()
	require.Equal(t, filepath.Join(tr.Root, "memory/foo/bar"), p["memory"])
	require.Equal(t, filepath.Join(tr.Root, "cpu,cpuacct/foo/bar"), p["cpu"])
	require.Equal(t, p["cpu"], p["cpuacct"], "co-mounted controllers share one dir")
	require.Equal(t, filepath.Join(tr.Root, "systemd/foo/bar"), p["name=systemd"])
	require.Len(t, p, 9) // cpu cpuacct cpuset memory devices freezer blkio pids name=systemd
}

func TestPathsRelativeAreBelowOwnCgroupPerHierarchy(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	tr.SelfCgroup = "8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n4:memory:/process_api/x\n3:cpuset:/\n2:cpu,cpuacct:/y\n1:name=systemd:/z\n"
	m := newManager(t, tr, "ctr")
	p := m.Paths()
	require.Equal(t, filepath.Join(tr.Root, "memory/process_api/x/ctr"), p["memory"])
	require.Equal(t, filepath.Join(tr.Root, "cpu,cpuacct/y/ctr"), p["cpuacct"])
	require.Equal(t, filepath.Join(tr.Root, "systemd/z/ctr"), p["name=systemd"])
	require.Equal(t, filepath.Join(tr.Root, "pids/ctr"), p["pids"])
}

func TestNewFailsWithoutOwnCgroupLineForRelativePath(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	tr.SelfCgroup = "4:memory:/\n" // other hierarchies missing
	_, err := fs.New(fs.Options{Host: tr.Host(), Path: "ctr"})
	require.ErrorIs(t, err, common.ErrInvalidPath)
	require.ErrorContains(t, err, "cpu,cpuacct")
}

func TestApplyCreatesEveryHierarchyAndAddsPid(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/parent/ctr")
	require.False(t, m.Exists())
	require.NoError(t, m.Apply(4242))
	require.True(t, m.Exists())
	for ctrl, dir := range m.Paths() {
		require.Equal(t, "4242", fakecg.Read(t, filepath.Join(dir, "cgroup.procs")), ctrl)
	}
	pids, err := m.Pids()
	require.NoError(t, err)
	require.Equal(t, []int{4242}, pids)
}

func TestApplyMinusOneOnlyCreates(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/ctr")
	require.NoError(t, m.Apply(-1))
	for _, dir := range m.Paths() {
		require.DirExists(t, dir)
		require.Empty(t, fakecg.Read(t, filepath.Join(dir, "cgroup.procs")))
	}
}

func TestApplyInitialisesCpusetAtEveryLevel(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	// A level left behind with empty cpus by an earlier run must be fixed too.
	cs := filepath.Join(tr.Root, "cpuset")
	require.NoError(t, tr.Host().Mkdir(filepath.Join(cs, "a"), 0o755))
	require.Empty(t, fakecg.Read(t, filepath.Join(cs, "a", "cpuset.cpus")))

	m := newManager(t, tr, "/a/b/c")
	require.NoError(t, m.Apply(1))
	for _, lvl := range []string{"a", "a/b", "a/b/c"} {
		require.Equal(t, "0-1", fakecg.Read(t, filepath.Join(cs, lvl, "cpuset.cpus")), lvl)
		require.Equal(t, "0", fakecg.Read(t, filepath.Join(cs, lvl, "cpuset.mems")), lvl)
	}
	// An explicitly narrowed level is kept, and its children inherit it.
	fakecg.Write(t, filepath.Join(cs, "a", "b", "cpuset.cpus"), "1\n")
	m2 := newManager(t, tr, "/a/b/d")
	require.NoError(t, m2.Apply(-1))
	require.Equal(t, "1", fakecg.Read(t, filepath.Join(cs, "a/b/d/cpuset.cpus")))
}

func TestApplyCpusetFailsClearlyWhenParentEmpty(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	fakecg.Write(t, filepath.Join(tr.Root, "cpuset", "cpuset.mems"), "")
	m := newManager(t, tr, "/ctr")
	err := m.Apply(1)
	require.ErrorContains(t, err, filepath.Join(tr.Root, "cpuset", "cpuset.mems")+" is empty")
}

func TestSetPidsLimit(t *testing.T) {
	for _, tc := range []struct {
		limit int64
		want  string
	}{{42, "42"}, {-1, "max"}, {0, "max"}, {1, "1"}} {
		tr := fakecg.New(t, common.Legacy, nil, nil)
		m := newManager(t, tr, "/ctr")
		require.NoError(t, m.Apply(-1))
		limit := tc.limit
		require.NoError(t, m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}))
		require.Equal(t, tc.want, fakecg.Read(t, filepath.Join(m.Path("pids"), "pids.max")))
		st, err := m.Stats()
		require.NoError(t, err)
		if tc.limit > 0 {
			require.EqualValues(t, tc.limit, st.Pids.Limit)
		}
	}
}

func TestSetIgnoresUnsetFields(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/ctr")
	require.NoError(t, m.Apply(-1))
	require.NoError(t, m.Set(nil))
	require.NoError(t, m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{}, CPU: &specs.LinuxCPU{}, Pids: &specs.LinuxPids{}}))
	require.Equal(t, "max", fakecg.Read(t, filepath.Join(m.Path("pids"), "pids.max")))
}

func TestSetPidsWithoutPidsHierarchy(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, []fakecg.Hier{{Dir: "memory", Controllers: []string{"memory"}}}, nil)
	m := newManager(t, tr, "/ctr")
	require.NoError(t, m.Apply(-1))
	limit := int64(5)
	err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}})
	require.ErrorIs(t, err, common.ErrControllerUnavailable)
	require.ErrorContains(t, err, "linux.resources.pids.limit")
}

func TestSetPidsOnMissingCgroupNamesFile(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/ctr")
	limit := int64(5)
	err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}})
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "write 5 to "+filepath.Join(tr.Root, "pids/ctr/pids.max"))
}

func TestFreezeAndThaw(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/ctr")
	require.NoError(t, m.Apply(-1))
	st, err := m.FreezerState()
	require.NoError(t, err)
	require.Equal(t, common.Thawed, st)

	require.NoError(t, m.Freeze(common.Frozen))
	require.Equal(t, "FROZEN", fakecg.Read(t, filepath.Join(m.Path("freezer"), "freezer.state")))
	st, err = m.FreezerState()
	require.NoError(t, err)
	require.Equal(t, common.Frozen, st)

	require.NoError(t, m.Freeze(common.Thawed))
	require.Equal(t, "THAWED", fakecg.Read(t, filepath.Join(m.Path("freezer"), "freezer.state")))
	require.Error(t, m.Freeze("bogus"))
}

func TestFreezerStateWithoutFreezerIsUndefined(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, []fakecg.Hier{{Dir: "pids", Controllers: []string{"pids"}}}, nil)
	m := newManager(t, tr, "/ctr")
	st, err := m.FreezerState()
	require.NoError(t, err)
	require.Equal(t, common.Undefined, st)
	require.ErrorIs(t, m.Freeze(common.Frozen), common.ErrControllerUnavailable)
}

func TestFreezerStateWaitsOutFreezingThenTimesOut(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/ctr")
	require.NoError(t, m.Apply(-1))
	fakecg.Write(t, filepath.Join(m.Path("freezer"), "freezer.state"), "FREEZING\n")
	_, err := m.FreezerState()
	require.ErrorIs(t, err, common.ErrFreezeTimeout)
}

func TestDestroyRemovesSubtreeInEveryHierarchy(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/parent/ctr")
	require.NoError(t, m.Apply(-1))
	require.NoError(t, tr.Host().MkdirAll(filepath.Join(m.Path("memory"), "sub", "subsub")))
	require.NoError(t, m.Destroy())
	for ctrl, dir := range m.Paths() {
		require.NoDirExists(t, dir, ctrl)
		require.DirExists(t, filepath.Dir(dir), "parent is not removed")
	}
	require.False(t, m.Exists())
	require.NoError(t, m.Destroy(), "second Destroy is a no-op")
	_, err := m.Pids()
	require.ErrorIs(t, err, common.ErrNotExist)
}

func TestDestroyFailsWhileTasksRemain(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, []fakecg.Hier{{Dir: "pids", Controllers: []string{"pids"}}}, nil)
	m := newManager(t, tr, "/ctr")
	require.NoError(t, m.Apply(99))
	err := m.Destroy()
	require.ErrorContains(t, err, "device or resource busy")
	require.True(t, m.Exists())
}

func TestAddTaskNeedsExistingCgroup(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/ctr")
	require.ErrorIs(t, m.AddTask(7), common.ErrNotExist)
	require.NoError(t, m.Apply(-1))
	require.NoError(t, m.AddTask(7))
	require.Equal(t, "7", fakecg.Read(t, filepath.Join(m.Path("devices"), "cgroup.procs")))
}

func TestLoadReproducesPathsWithoutOwnCgroup(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	tr.SelfCgroup = "8:pids:/a\n7:blkio:/a\n6:freezer:/a\n5:devices:/a\n4:memory:/a\n3:cpuset:/a\n2:cpu,cpuacct:/a\n1:name=systemd:/a\n"
	m := newManager(t, tr, "ctr")
	require.NoError(t, m.Apply(-1))
	saved := m.Paths()

	tr.SelfCgroup = "" // a later command runs elsewhere; Load must not look
	l, err := fs.Load(fs.Options{Host: tr.Host()}, saved)
	require.NoError(t, err)
	require.Equal(t, saved, l.Paths())
	require.True(t, l.Exists())
	require.NoError(t, l.Apply(-1), "cpuset levels still initialise after Load")

	_, err = fs.Load(fs.Options{Host: tr.Host()}, map[string]string{"pids": "relative"})
	require.ErrorIs(t, err, common.ErrInvalidPath)
}

func TestAllPidsIncludesSubCgroups(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/ctr")
	require.NoError(t, m.Apply(10))
	sub := filepath.Join(m.Path("pids"), "sub")
	require.NoError(t, tr.Host().Mkdir(sub, 0o755))
	fakecg.Write(t, filepath.Join(sub, "cgroup.procs"), "11\n")
	pids, err := m.AllPids()
	require.NoError(t, err)
	require.ElementsMatch(t, []int{10, 11}, pids)
}

func TestOOMKillCount(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/ctr")
	require.NoError(t, m.Apply(-1))
	fakecg.Write(t, filepath.Join(m.Path("memory"), "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
	n, err := m.OOMKillCount()
	require.NoError(t, err)
	require.EqualValues(t, 3, n)
}

func TestFreezerStateOfMissingCgroup(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/ctr")
	_, err := m.FreezerState()
	require.ErrorIs(t, err, common.ErrNotExist)
}

func TestKillOnEmptyCgroupLeavesItThawed(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/ctr")
	require.NoError(t, m.Apply(-1)) // empty: no real process is ever signalled
	require.NoError(t, m.Kill(15))
	require.Equal(t, "THAWED", fakecg.Read(t, filepath.Join(m.Path("freezer"), "freezer.state")))
	require.Error(t, newManager(t, tr, "/missing").Kill(15), "a missing cgroup cannot be frozen or listed")
}
