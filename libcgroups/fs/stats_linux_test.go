package fs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/internal/fakecg"
)

// withHugetlb is the default fake host plus a v1 hugetlb hierarchy.
var withHugetlb = append(append([]fakecg.Hier{}, fakecg.DefaultV1...), fakecg.Hier{Dir: "hugetlb", Controllers: []string{"hugetlb"}})

func TestStatsReadsEveryV1Controller(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, withHugetlb, nil)
	m := newManager(t, tr, "/ctr")
	require.NoError(t, m.Apply(-1))
	files := map[string]map[string]string{
		"cpuacct": {
			"cpuacct.usage":        "3000000000\n",
			"cpuacct.usage_percpu": "1000000000 2000000000 \n",
			"cpuacct.stat":         "user 150\nsystem 50\n",
		},
		"cpu": {"cpu.stat": "nr_periods 10\nnr_throttled 3\nthrottled_time 4500\n"},
		"memory": {
			"memory.usage_in_bytes":           "1048576\n",
			"memory.max_usage_in_bytes":       "2097152\n",
			"memory.limit_in_bytes":           "8388608\n",
			"memory.failcnt":                  "7\n",
			"memory.memsw.usage_in_bytes":     "1048577\n",
			"memory.memsw.max_usage_in_bytes": "2097153\n",
			"memory.memsw.limit_in_bytes":     "16777216\n",
			"memory.memsw.failcnt":            "1\n",
			"memory.stat":                     "cache 4096\nrss 8192\ntotal_cache 4096\n",
			"memory.oom_control":              "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
		},
		"pids": {"pids.current": "3\n", "pids.max": "100\n"},
		"blkio": {
			"blkio.throttle.io_service_bytes_recursive": "8:0 Read 4096\n8:0 Write 0\n8:0 Total 4096\nTotal 4096\n",
			"blkio.throttle.io_serviced_recursive":      "8:0 Read 1\n8:0 Total 1\nTotal 1\n",
			// The non-recursive file is only read on kernels without the
			// recursive one.
			"blkio.throttle.io_service_bytes": "8:0 Read 1\n",
		},
		"hugetlb": {
			"hugetlb.2MB.usage_in_bytes":     "2097152\n",
			"hugetlb.2MB.max_usage_in_bytes": "4194304\n",
			"hugetlb.2MB.failcnt":            "5\n",
			"hugetlb.1GB.usage_in_bytes":     "0\n",
			"hugetlb.1GB.max_usage_in_bytes": "0\n",
			"hugetlb.1GB.failcnt":            "0\n",
		},
	}
	for ctrl, fs := range files {
		for name, v := range fs {
			fakecg.Write(t, filepath.Join(m.Path(ctrl), name), v)
		}
	}
	st, err := m.Stats()
	require.NoError(t, err)
	require.Equal(t, common.CPUStats{
		Usage:      common.CPUUsage{Total: 3e9, User: 1.5e9, Kernel: 0.5e9, PerCPU: []uint64{1e9, 2e9}},
		Throttling: common.CPUThrottling{Periods: 10, ThrottledPeriods: 3, ThrottledTime: 4500},
	}, st.CPU)
	require.Equal(t, common.MemoryEntry{Usage: 1 << 20, MaxUsage: 2 << 20, Limit: 8 << 20, Failcnt: 7}, st.Memory.Usage)
	require.Equal(t, common.MemoryEntry{Usage: 1<<20 + 1, MaxUsage: 2<<20 + 1, Limit: 16 << 20, Failcnt: 1}, st.Memory.Swap)
	require.EqualValues(t, 4096, st.Memory.Cache)
	require.Equal(t, map[string]uint64{"cache": 4096, "rss": 8192, "total_cache": 4096}, st.Memory.Stat)
	require.EqualValues(t, 2, st.Memory.OOMKill)
	require.Nil(t, st.Memory.PSI, "v1 has no PSI")
	require.Equal(t, common.PidsStats{Current: 3, Limit: 100}, st.Pids)
	require.Equal(t, []common.BlkioEntry{be(8, 0, "Read", 4096), be(8, 0, "Write", 0), be(8, 0, "Total", 4096)}, st.Blkio.IoServiceBytesRecursive)
	require.Equal(t, []common.BlkioEntry{be(8, 0, "Read", 1), be(8, 0, "Total", 1)}, st.Blkio.IoServicedRecursive)
	require.Equal(t, map[string]common.HugetlbStats{
		"2MB": {Usage: 2 << 20, MaxUsage: 4 << 20, Failcnt: 5},
		"1GB": {},
	}, st.Hugetlb)
}

func TestStatsSkipsMissingFilesButRejectsMalformedOnes(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/ctr")
	require.NoError(t, m.Apply(-1))
	// The fake kernel's new cgroup has pids and oom_control only: no
	// cpuacct, no memsw (swap accounting off), no blkio files.
	st, err := m.Stats()
	require.NoError(t, err)
	require.Equal(t, common.PidsStats{}, st.Pids)
	require.Zero(t, st.CPU.Usage.Total)
	require.Nil(t, st.Hugetlb)

	for _, tc := range []struct{ ctrl, file, content string }{
		{"memory", "memory.stat", "cache 1\nrss\n"},
		{"cpuacct", "cpuacct.usage_percpu", "1 x\n"},
		{"cpuacct", "cpuacct.usage", "-1\n"},
		{"blkio", "blkio.throttle.io_serviced_recursive", "8:0 Read\n"},
		{"cpu", "cpu.stat", "nr_periods ten\n"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p := filepath.Join(m.Path(tc.ctrl), tc.file)
			fakecg.Write(t, p, tc.content)
			_, err := m.Stats()
			require.ErrorContains(t, err, p)
			require.NoError(t, os.Remove(p))
		})
	}
}

func TestStatsOfRemovedCgroupIsNotExist(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/ctr")
	_, err := m.Stats()
	require.ErrorIs(t, err, common.ErrNotExist)
}

func be(maj, min uint64, op string, v uint64) common.BlkioEntry {
	return common.BlkioEntry{Major: maj, Minor: min, Op: op, Value: v}
}
