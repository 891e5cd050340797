package libcgroups

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/internal/fakecg"
)

// TestHybridStatsOnFakeRoots: the v1 controllers come from the v1
// hierarchies, hugetlb and PSI from the cgroup2 tree, as on this host.
func TestHybridStatsOnFakeRoots(t *testing.T) {
	tr := fakecg.New(t, Hybrid, nil, []string{"hugetlb", "pids"})
	m, err := New(Config{Host: tr.Host(), Path: "/ctr"})
	require.NoError(t, err)
	require.NoError(t, m.Apply(-1))
	fakecg.Write(t, filepath.Join(tr.Root, "pids/ctr/pids.current"), "3\n")
	fakecg.Write(t, filepath.Join(tr.Root, "memory/ctr/memory.usage_in_bytes"), "4096\n")
	fakecg.Write(t, filepath.Join(tr.Root, "memory/ctr/memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n")
	u := filepath.Join(tr.Root, "unified/ctr")
	fakecg.Write(t, filepath.Join(u, "memory.events"), "oom_kill 99\n")
	fakecg.Write(t, filepath.Join(u, "hugetlb.2MB.current"), "2097152\n")
	fakecg.Write(t, filepath.Join(u, "hugetlb.2MB.events"), "max 1\n")
	fakecg.Write(t, filepath.Join(u, "memory.pressure"), "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n")

	st, err := m.Stats()
	require.NoError(t, err)
	require.EqualValues(t, 3, st.Pids.Current, "pids from v1")
	require.EqualValues(t, 4096, st.Memory.Usage.Usage)
	require.EqualValues(t, 4, st.Memory.OOMKill, "oom kills from v1 memory.oom_control")
	require.Equal(t, map[string]HugetlbStats{"2MB": {Usage: 2 << 20, Failcnt: 1}}, st.Hugetlb, "hugetlb from cgroup2")
	require.NotNil(t, st.Memory.PSI)
	require.EqualValues(t, 5, st.Memory.PSI.Some.Total, "PSI from cgroup2")
}
