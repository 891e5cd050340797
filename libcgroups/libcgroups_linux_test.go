package libcgroups_test

import (
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups"
	"github.com/gocontainer/gocontainer/libcgroups/fs"
	"github.com/gocontainer/gocontainer/libcgroups/fs2"
	"github.com/gocontainer/gocontainer/libcgroups/internal/fakecg"
)

func TestNewPicksManagerForSetup(t *testing.T) {
	for _, tc := range []struct {
		setup libcgroups.Setup
		check func(t *testing.T, m libcgroups.Manager)
	}{
		{libcgroups.Legacy, func(t *testing.T, m libcgroups.Manager) { require.IsType(t, &fs.Manager{}, m) }},
		{libcgroups.Unified, func(t *testing.T, m libcgroups.Manager) { require.IsType(t, &fs2.Manager{}, m) }},
		{libcgroups.Hybrid, func(t *testing.T, m libcgroups.Manager) {
			p := m.Paths()
			require.Contains(t, p, "")
			require.Contains(t, p, "memory")
		}},
	} {
		t.Run(tc.setup.String(), func(t *testing.T) {
			tr := fakecg.New(t, tc.setup, nil, nil)
			m, err := libcgroups.New(libcgroups.Config{Host: tr.Host(), Path: "/ctr"})
			require.NoError(t, err)
			tc.check(t, m)
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tr := fakecg.New(t, libcgroups.Unified, nil, nil)
	_, err := libcgroups.New(libcgroups.Config{Host: tr.Host(), Path: "/x", Systemd: true})
	require.ErrorIs(t, err, libcgroups.ErrInvalidPath)
	require.EqualError(t, err, `linux.cgroupsPath: "/x" is not in the systemd form slice:prefix:name (1 parts): invalid systemd cgroupsPath: invalid cgroup path`)

	_, err = libcgroups.New(libcgroups.Config{Host: tr.Host()})
	require.ErrorIs(t, err, libcgroups.ErrInvalidPath)
	require.ErrorContains(t, err, "both empty")

	_, err = libcgroups.New(libcgroups.Config{Host: tr.Host(), Path: "../../escape"})
	require.ErrorIs(t, err, libcgroups.ErrInvalidPath)
	require.ErrorContains(t, err, `linux.cgroupsPath "../../escape" escapes`)
}

func TestEmptyPathDefaultsToIdRelativeToOwnCgroup(t *testing.T) {
	tr := fakecg.New(t, libcgroups.Unified, nil, nil)
	tr.SelfCgroup = "0::/user.slice/me\n"
	m, err := libcgroups.New(libcgroups.Config{Host: tr.Host(), Name: "abc"})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"": filepath.Join(tr.Root, "user.slice/me/abc")}, m.Paths())
}

func TestHybridPlacesProcessInV1AndUnified(t *testing.T) {
	tr := fakecg.New(t, libcgroups.Hybrid, nil, []string{"hugetlb"})
	limit := int64(9)
	res := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}, HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1 << 21}}}
	m, err := libcgroups.New(libcgroups.Config{Host: tr.Host(), Path: "/ctr", Resources: res})
	require.NoError(t, err)
	require.NoError(t, m.Apply(321))
	p := m.Paths()
	require.Equal(t, filepath.Join(tr.Root, "unified/ctr"), p[""])
	for key, dir := range p {
		require.Equal(t, "321", fakecg.Read(t, filepath.Join(dir, "cgroup.procs")), key)
	}
	// hugetlb lives only in the cgroup2 tree here: enabled for the leaf.
	require.Equal(t, "+hugetlb", fakecg.Read(t, filepath.Join(tr.Root, "unified/cgroup.subtree_control")))
	require.FileExists(t, filepath.Join(p[""], "hugetlb.2MB.max"))

	// pids is a v1 hierarchy: the limit goes there.
	require.NoError(t, m.Set(res))
	require.Equal(t, "9", fakecg.Read(t, filepath.Join(p["pids"], "pids.max")))

	pids, err := m.Pids()
	require.NoError(t, err)
	require.Equal(t, []int{321}, pids)

	require.NoError(t, m.Freeze(libcgroups.Frozen))
	require.Equal(t, "FROZEN", fakecg.Read(t, filepath.Join(p["freezer"], "freezer.state")), "v1 freezer is used on hybrid")
	require.Equal(t, "0", fakecg.Read(t, filepath.Join(p[""], "cgroup.freeze")))
	require.NoError(t, m.Freeze(libcgroups.Thawed))

	for _, dir := range p {
		fakecg.Write(t, filepath.Join(dir, "cgroup.procs"), "") // the process exited
	}
	require.NoError(t, m.Destroy())
	for key, dir := range p {
		require.NoDirExists(t, dir, key)
	}
	require.False(t, m.Exists())
}

func TestHybridWithPidsOnlyInUnifiedTree(t *testing.T) {
	tr := fakecg.New(t, libcgroups.Hybrid, []fakecg.Hier{{Dir: "memory", Controllers: []string{"memory"}}}, []string{"pids"})
	limit := int64(4)
	res := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
	m, err := libcgroups.New(libcgroups.Config{Host: tr.Host(), Path: "/ctr", Resources: res})
	require.NoError(t, err)
	require.NoError(t, m.Apply(-1))
	require.NoError(t, m.Set(res))
	require.Equal(t, "4", fakecg.Read(t, filepath.Join(tr.Root, "unified/ctr/pids.max")))
}

func TestLoadUsesSavedPaths(t *testing.T) {
	tr := fakecg.New(t, libcgroups.Hybrid, nil, nil)
	tr.SelfCgroup = "8:pids:/a\n7:blkio:/a\n6:freezer:/a\n5:devices:/a\n4:memory:/a\n3:cpuset:/a\n2:cpu,cpuacct:/a\n1:name=systemd:/a\n0::/a\n"
	m, err := libcgroups.New(libcgroups.Config{Host: tr.Host(), Name: "ctr"})
	require.NoError(t, err)
	saved := m.Paths()
	require.Equal(t, filepath.Join(tr.Root, "unified/a/ctr"), saved[""])

	tr.SelfCgroup = "8:pids:/b\n0::/b\n" // the loading command runs elsewhere
	l, err := libcgroups.Load(libcgroups.Config{Host: tr.Host()}, saved)
	require.NoError(t, err)
	require.Equal(t, saved, l.Paths())

	delete(saved, "")
	_, err = libcgroups.Load(libcgroups.Config{Host: tr.Host()}, saved)
	require.ErrorIs(t, err, libcgroups.ErrInvalidPath)
	_, err = libcgroups.Load(libcgroups.Config{Host: tr.Host()}, nil)
	require.ErrorIs(t, err, libcgroups.ErrInvalidPath)
}
