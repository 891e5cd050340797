package common_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/internal/fakecg"
)

func TestDetectSetupOnFakeTrees(t *testing.T) {
	for _, want := range []common.Setup{common.Legacy, common.Hybrid, common.Unified} {
		t.Run(want.String(), func(t *testing.T) {
			tr := fakecg.New(t, want, nil, []string{"hugetlb"})
			got, err := tr.Host().DetectSetup()
			require.NoError(t, err)
			require.Equal(t, want, got)
		})
	}
}

func TestDetectSetupRejectsNonCgroupRoots(t *testing.T) {
	dir := t.TempDir()
	magic := func(m int64) func(string, *unix.Statfs_t) error {
		return func(_ string, st *unix.Statfs_t) error { st.Type = m; return nil }
	}
	_, err := common.Host{Root: dir, Statfs: magic(0xEF53)}.DetectSetup()
	require.ErrorIs(t, err, common.ErrNoCgroupFS)
	require.ErrorContains(t, err, dir)

	// A tmpfs with nothing mounted on it is not a cgroup setup either.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "cpu"), 0o755))
	_, err = common.Host{Root: dir, Statfs: func(p string, st *unix.Statfs_t) error {
		st.Type = unix.TMPFS_MAGIC
		if p != dir {
			st.Type = 0xEF53
		}
		return nil
	}}.DetectSetup()
	require.ErrorIs(t, err, common.ErrNoCgroupFS)

	_, err = common.Host{Root: filepath.Join(dir, "missing")}.DetectSetup()
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestDetectSetupOnThisHost(t *testing.T) {
	s, err := common.Host{}.DetectSetup()
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("no /sys/fs/cgroup on this machine")
	}
	require.NoError(t, err)
	// Cross-check with the filesystem type of the root, as mount(8) shows it.
	var st unix.Statfs_t
	require.NoError(t, unix.Statfs("/sys/fs/cgroup", &st))
	require.Equal(t, s == common.Unified, st.Type == unix.CGROUP2_SUPER_MAGIC)
}

func TestHierarchiesCoMountedAndNamed(t *testing.T) {
	tr := fakecg.New(t, common.Hybrid, nil, nil)
	h := tr.Host()
	hs, err := h.Hierarchies()
	require.NoError(t, err)
	require.Len(t, hs, len(fakecg.DefaultV1))
	require.Equal(t, []string{"cpu", "cpuacct"}, hs[0].Controllers)
	require.Equal(t, filepath.Join(tr.Root, "cpu,cpuacct"), hs[0].Mountpoint)
	require.Equal(t, "/", hs[0].Root)
	last := hs[len(hs)-1]
	require.Equal(t, []string{"name=systemd"}, last.Controllers)
	require.Equal(t, filepath.Join(tr.Root, "systemd"), last.Mountpoint)
}

func TestHierarchiesSkipsForeignMountsDuplicatesAndOptions(t *testing.T) {
	mi := `31 30 0:28 / /elsewhere/cpu rw - cgroup cgroup rw,cpu
32 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,relatime,cpu,clone_children
33 30 0:28 / /sys/fs/cgroup/cpu2 rw - cgroup cgroup rw,cpu
34 30 0:29 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,noprefix,cpuset,release_agent=/x
35 30 0:30 / /sys/fs/cgroup/newctl rw - cgroup cgroup rw,newctl
36 30 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
`
	h := common.Host{Root: "/sys/fs/cgroup", ReadProcSelf: func(name string) ([]byte, error) {
		if name == "mountinfo" {
			return []byte(mi), nil
		}
		return []byte("5:newctl:/\n1:cpu:/\n"), nil
	}}
	hs, err := h.Hierarchies()
	require.NoError(t, err)
	require.Equal(t, []common.Hierarchy{
		{Controllers: []string{"cpu"}, Mountpoint: "/sys/fs/cgroup/cpu", Root: "/"},
		{Controllers: []string{"cpuset"}, Mountpoint: "/sys/fs/cgroup/cpuset", Root: "/", NoPrefix: true},
		{Controllers: []string{"newctl"}, Mountpoint: "/sys/fs/cgroup/newctl", Root: "/"},
	}, hs)
}

func TestUnifiedControllersAndOwnCgroups(t *testing.T) {
	tr := fakecg.New(t, common.Hybrid, nil, []string{"hugetlb"})
	tr.SelfCgroup = "3:cpu,cpuacct:/a\n1:name=systemd:/s\n0::/u\n"
	h := tr.Host()
	ctrls, err := h.UnifiedControllers(common.Hybrid)
	require.NoError(t, err)
	require.Equal(t, []string{"hugetlb"}, ctrls)
	own, err := h.OwnCgroups()
	require.NoError(t, err)
	require.Equal(t, map[string]string{"cpu": "/a", "cpuacct": "/a", "name=systemd": "/s", "": "/u"}, own)
}

func TestWriteFileErrorNamesValueAndPath(t *testing.T) {
	dir := t.TempDir()
	err := common.WriteFile(dir, "pids.max", "42")
	require.ErrorIs(t, err, os.ErrNotExist)
	require.EqualError(t, err, "write 42 to "+filepath.Join(dir, "pids.max")+": no such file or directory")
	// Control files are never created.
	_, statErr := os.Stat(filepath.Join(dir, "pids.max"))
	require.ErrorIs(t, statErr, os.ErrNotExist)

	require.ErrorIs(t, common.WriteFile(dir, "../x", "1"), common.ErrInvalidPath)
	_, err = common.ReadFile(dir, "a/b")
	require.ErrorIs(t, err, common.ErrInvalidPath)
}

func TestWriteFileDoesNotFollowSymlinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	require.NoError(t, os.WriteFile(target, []byte("keep"), 0o644))
	require.NoError(t, os.Symlink(target, filepath.Join(dir, "pids.max")))
	require.ErrorIs(t, common.WriteFile(dir, "pids.max", "1"), unix.ELOOP)
	b, err := os.ReadFile(target)
	require.NoError(t, err)
	require.Equal(t, "keep", string(b))
}

func TestWriteThenReadFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pids.max"), []byte("max\n"), 0o644))
	require.NoError(t, common.WriteFile(dir, "pids.max", "7"))
	v, err := common.ReadFile(dir, "pids.max")
	require.NoError(t, err)
	require.Equal(t, "7", v)
}

func TestRemovePathRemovesChildrenFirstAndToleratesMissing(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	h := tr.Host()
	leaf := filepath.Join(tr.Root, "ctr", "sub", "subsub")
	require.NoError(t, h.MkdirAll(leaf))
	require.NoError(t, h.MkdirAll(filepath.Join(tr.Root, "ctr", "sub2")))
	// The fake rmdir fails with EBUSY on a cgroup with children, like the
	// kernel, so success proves the bottom-up order.
	require.NoError(t, h.RemovePath(filepath.Join(tr.Root, "ctr")))
	require.NoDirExists(t, filepath.Join(tr.Root, "ctr"))
	require.NoError(t, h.RemovePath(filepath.Join(tr.Root, "ctr")), "already gone")
}

func TestRemovePathGivesUpOnBusyCgroup(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	h := tr.Host()
	dir := filepath.Join(tr.Root, "busy")
	require.NoError(t, h.MkdirAll(dir))
	fakecg.Write(t, filepath.Join(dir, "cgroup.procs"), "123\n")
	err := h.RemovePath(dir)
	require.ErrorIs(t, err, unix.EBUSY)
	require.ErrorContains(t, err, dir)
	require.DirExists(t, dir)
}

func TestReadAllPidsIsRecursive(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	h := tr.Host()
	dir := filepath.Join(tr.Root, "ctr")
	require.NoError(t, h.MkdirAll(filepath.Join(dir, "a", "b")))
	fakecg.Write(t, filepath.Join(dir, "cgroup.procs"), "1\n")
	fakecg.Write(t, filepath.Join(dir, "a", "b", "cgroup.procs"), "2\n3\n")
	pids, err := common.ReadAllPids(dir)
	require.NoError(t, err)
	require.ElementsMatch(t, []int{1, 2, 3}, pids)
	pids, err = common.ReadPids(dir)
	require.NoError(t, err)
	require.Equal(t, []int{1}, pids)
}

func TestCachingProcSelfReadsEachFileOnce(t *testing.T) {
	reads := map[string]int{}
	h := common.Host{ReadProcSelf: func(name string) ([]byte, error) {
		reads[name]++
		if name == "missing" {
			return nil, os.ErrNotExist
		}
		return []byte(name + " data"), nil
	}}.CachingProcSelf()
	for range 3 {
		b, err := h.ReadProcSelf("mountinfo")
		require.NoError(t, err)
		require.Equal(t, "mountinfo data", string(b))
		_, err = h.ReadProcSelf("missing")
		require.ErrorIs(t, err, os.ErrNotExist)
	}
	_, err := h.ReadProcSelf("cgroup")
	require.NoError(t, err)
	require.Equal(t, map[string]int{"mountinfo": 1, "cgroup": 1, "missing": 3}, reads, "errors are not cached")
}
