package fs2_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/fs2"
	"github.com/gocontainer/gocontainer/libcgroups/internal/fakecg"
)

func pidsRes(limit int64) *specs.LinuxResources {
	return &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
}

func newManager(t *testing.T, tr *fakecg.Tree, path string, r *specs.LinuxResources) *fs2.Manager {
	t.Helper()
	m, err := fs2.New(fs2.Options{Host: tr.Host(), Setup: tr.Setup, Path: path, Resources: r, FreezeTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	return m
}

func TestPaths(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup common.Setup
		self  string
		path  string
		want  string
	}{
		{"unified absolute", common.Unified, "0::/user.slice/s\n", "/foo/bar", "foo/bar"},
		{"unified relative", common.Unified, "0::/user.slice/s\n", "ctr", "user.slice/s/ctr"},
		{"hybrid absolute", common.Hybrid, "1:pids:/x\n0::/u\n", "/foo", "unified/foo"},
		{"hybrid relative uses the 0:: line", common.Hybrid, "1:pids:/x\n0::/u\n", "ctr", "unified/u/ctr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := fakecg.New(t, tc.setup, nil, nil)
			tr.SelfCgroup = tc.self
			m := newManager(t, tr, tc.path, nil)
			require.Equal(t, map[string]string{"": filepath.Join(tr.Root, tc.want)}, m.Paths())
		})
	}
}

func TestRelativePathStripsBindMountedCgroup2Root(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	tr.SelfCgroup = "0::/docker/abc/inner\n"
	h := tr.Host()
	h.ReadProcSelf = func(name string) ([]byte, error) {
		if name == "mountinfo" {
			return []byte("30 22 0:27 /docker/abc " + tr.Root + " rw - cgroup2 cgroup2 rw\n"), nil
		}
		return []byte(tr.SelfCgroup), nil
	}
	m, err := fs2.New(fs2.Options{Host: h, Setup: common.Unified, Path: "ctr"})
	require.NoError(t, err)
	require.Equal(t, filepath.Join(tr.Root, "inner/ctr"), m.Dir())
}

func TestRelativePathNeedsUnifiedLine(t *testing.T) {
	tr := fakecg.New(t, common.Hybrid, nil, nil)
	tr.SelfCgroup = "1:pids:/\n"
	_, err := fs2.New(fs2.Options{Host: tr.Host(), Setup: common.Hybrid, Path: "ctr"})
	require.ErrorIs(t, err, common.ErrInvalidPath)
}

func TestApplyEnablesNeededControllersInAncestorsOnly(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, []string{"cpu", "memory", "pids", "hugetlb"})
	m := newManager(t, tr, "/a/b/ctr", pidsRes(10))
	require.NoError(t, m.Apply(77))
	for _, lvl := range []string{"", "a", "a/b"} {
		require.Equal(t, "+pids", fakecg.Read(t, filepath.Join(tr.Root, lvl, "cgroup.subtree_control")), lvl)
	}
	leaf := filepath.Join(tr.Root, "a/b/ctr")
	require.Empty(t, fakecg.Read(t, filepath.Join(leaf, "cgroup.subtree_control")), "leaf holds processes: never enable there")
	require.Equal(t, "77", fakecg.Read(t, filepath.Join(leaf, "cgroup.procs")))
	require.FileExists(t, filepath.Join(leaf, "pids.max"), "the fake kernel shows pids files once enabled in the parent")
	require.NoFileExists(t, filepath.Join(leaf, "hugetlb.2MB.max"), "controllers not needed stay off")

	require.NoError(t, m.Set(pidsRes(10)))
	require.Equal(t, "10", fakecg.Read(t, filepath.Join(leaf, "pids.max")))
	st, err := m.Stats()
	require.NoError(t, err)
	require.EqualValues(t, 10, st.Pids.Limit)
}

func TestSetEnablesControllersLateAndWritesPidsMax(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, []string{"pids"})
	m := newManager(t, tr, "/ctr", nil)
	require.NoError(t, m.Apply(-1))
	leaf := filepath.Join(tr.Root, "ctr")
	require.NoFileExists(t, filepath.Join(leaf, "pids.max"))

	m.EnableControllers([]string{"pids"})
	require.Equal(t, "+pids", fakecg.Read(t, filepath.Join(tr.Root, "cgroup.subtree_control")))
	// The real kernel adds pids.max to existing children when the parent
	// enables pids; the fake only does so at mkdir, so emulate it here.
	fakecg.Write(t, filepath.Join(leaf, "pids.max"), "max\n")
	require.NoError(t, m.Set(pidsRes(1)))
	require.Equal(t, "1", fakecg.Read(t, filepath.Join(leaf, "pids.max")))
	require.NoError(t, m.Set(pidsRes(0)))
	require.Equal(t, "max", fakecg.Read(t, filepath.Join(leaf, "pids.max")))
}

func TestSetPidsWithoutControllerIsClear(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, []string{"memory"})
	m := newManager(t, tr, "/ctr", nil)
	require.NoError(t, m.Apply(-1))
	err := m.Set(pidsRes(3))
	require.ErrorIs(t, err, common.ErrControllerUnavailable)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, `set linux.resources.pids.limit: the host's cgroup2 tree (`+tr.Root+`) has no "pids" controller`)
	require.NoError(t, m.Set(&specs.LinuxResources{}), "nothing set, nothing to fail")
}

// fakeKernelFreezer mirrors cgroup.freeze into cgroup.events, as the kernel
// does once every task has stopped.
func fakeKernelFreezer(t *testing.T, dir string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if b, err := os.ReadFile(filepath.Join(dir, "cgroup.freeze")); err == nil {
				v := strings.TrimSpace(string(b))
				if v == "" {
					continue // caught between the truncate and the write
				}
				_ = os.WriteFile(filepath.Join(dir, "cgroup.events"), []byte("populated 1\nfrozen "+v+"\n"), 0o644)
			}
			time.Sleep(time.Millisecond)
		}
	}()
}

func TestFreezeWaitsForCgroupEvents(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	m := newManager(t, tr, "/ctr", nil)
	require.NoError(t, m.Apply(-1))
	dir := filepath.Join(tr.Root, "ctr")
	fakeKernelFreezer(t, dir)

	require.NoError(t, m.Freeze(common.Frozen))
	require.Equal(t, "1", fakecg.Read(t, filepath.Join(dir, "cgroup.freeze")))
	st, err := m.FreezerState()
	require.NoError(t, err)
	require.Equal(t, common.Frozen, st)

	require.NoError(t, m.Freeze(common.Thawed))
	st, err = m.FreezerState()
	require.NoError(t, err)
	require.Equal(t, common.Thawed, st)
}

func TestFreezeTimesOutAndThawsBack(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	m := newManager(t, tr, "/ctr", nil)
	require.NoError(t, m.Apply(-1))
	// No fake kernel: cgroup.events keeps saying "frozen 0".
	err := m.Freeze(common.Frozen)
	require.ErrorIs(t, err, common.ErrFreezeTimeout)
	require.Equal(t, "0", fakecg.Read(t, filepath.Join(tr.Root, "ctr", "cgroup.freeze")), "a failed freeze is undone")
}

func TestFreezerStateOfMissingCgroup(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	m := newManager(t, tr, "/ctr", nil)
	_, err := m.FreezerState()
	require.ErrorIs(t, err, common.ErrNotExist)
}

func TestKillWithoutCgroupKillFallsBackToFreezeSignalThaw(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	m := newManager(t, tr, "/ctr", nil)
	require.NoError(t, m.Apply(-1)) // empty: no real process is ever signalled
	dir := filepath.Join(tr.Root, "ctr")
	fakeKernelFreezer(t, dir)
	require.NoError(t, m.Kill(9))
	require.Equal(t, "0", fakecg.Read(t, filepath.Join(dir, "cgroup.freeze")), "thawed after signalling")
}

func TestDestroyAndExists(t *testing.T) {
	tr := fakecg.New(t, common.Hybrid, nil, nil)
	m := newManager(t, tr, "/p/ctr", nil)
	require.NoError(t, m.Apply(-1))
	require.True(t, m.Exists())
	require.NoError(t, tr.Host().MkdirAll(filepath.Join(m.Dir(), "sub")))
	require.NoError(t, m.Destroy())
	require.False(t, m.Exists())
	require.DirExists(t, filepath.Join(tr.Root, "unified", "p"))
	require.NoError(t, m.Destroy())
	require.ErrorIs(t, m.AddTask(1), common.ErrNotExist)
}

func TestLoadValidatesDir(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	opts := fs2.Options{Host: tr.Host(), Setup: common.Unified}
	m, err := fs2.Load(opts, filepath.Join(tr.Root, "x", "y"))
	require.NoError(t, err)
	require.Equal(t, filepath.Join(tr.Root, "x", "y"), m.Dir())
	for _, bad := range []string{"x", tr.Root, "/elsewhere/x"} {
		_, err := fs2.Load(opts, bad)
		require.ErrorIs(t, err, common.ErrInvalidPath, bad)
	}
}

func TestOOMKillCountAndStatsWithoutPidsController(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	m := newManager(t, tr, "/ctr", nil)
	require.NoError(t, m.Apply(5))
	fakecg.Write(t, filepath.Join(m.Dir(), "memory.events"), "oom 2\noom_kill 1\n")
	n, err := m.OOMKillCount()
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	st, err := m.Stats()
	require.NoError(t, err)
	require.Equal(t, common.PidsStats{Current: 1}, st.Pids)
}
