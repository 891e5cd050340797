package fs2_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/internal/fakecg"
)

const psiFile = "some avg10=1.00 avg60=0.50 avg300=0.25 total=1000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=10\n"

func TestStatsReadsEveryV2File(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, []string{"pids", "hugetlb"})
	m := newManager(t, tr, "/ctr", nil)
	require.NoError(t, m.Apply(-1))
	for name, v := range map[string]string{
		"cpu.stat":            "usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\nnr_periods 10\nnr_throttled 2\nthrottled_usec 7\n",
		"memory.stat":         "anon 8192\nfile 4096\nkernel 100\n",
		"memory.current":      "1048576\n",
		"memory.peak":         "2097152\n",
		"memory.max":          "8388608\n",
		"memory.swap.current": "4096\n",
		"memory.swap.max":     "max\n",
		"memory.swap.events":  "high 0\nmax 0\nfail 3\n",
		"memory.events":       "low 0\nhigh 1\nmax 5\noom 2\noom_kill 1\n",
		"pids.current":        "4\n",
		"pids.max":            "64\n",
		"io.stat":             "8:0 rbytes=4096 wbytes=512 rios=1 wios=2 dbytes=0 dios=0\n",
		"hugetlb.2MB.current": "2097152\n",
		"hugetlb.2MB.events":  "max 6\n",
		"cpu.pressure":        psiFile,
		"memory.pressure":     psiFile,
		"io.pressure":         psiFile,
	} {
		fakecg.Write(t, filepath.Join(m.Dir(), name), v)
	}
	st, err := m.Stats()
	require.NoError(t, err)
	require.Equal(t, common.CPUUsage{Total: 3e6, User: 2e6, Kernel: 1e6}, st.CPU.Usage)
	require.Equal(t, common.CPUThrottling{Periods: 10, ThrottledPeriods: 2, ThrottledTime: 7000}, st.CPU.Throttling)
	require.Equal(t, common.MemoryEntry{Usage: 1 << 20, MaxUsage: 2 << 20, Limit: 8 << 20, Failcnt: 5}, st.Memory.Usage)
	require.Equal(t, common.MemoryEntry{Usage: 1<<20 + 4096, Limit: math.MaxUint64, Failcnt: 3}, st.Memory.Swap,
		"swap is memory+swap as on v1; max stays max")
	require.EqualValues(t, 4096, st.Memory.Cache)
	require.Equal(t, map[string]uint64{"anon": 8192, "file": 4096, "kernel": 100}, st.Memory.Stat)
	require.EqualValues(t, 1, st.Memory.OOMKill)
	require.EqualValues(t, 2, st.Memory.Events["oom"])
	require.Equal(t, common.PidsStats{Current: 4, Limit: 64}, st.Pids)
	require.Equal(t, []common.BlkioEntry{be(8, 0, "Read", 4096), be(8, 0, "Write", 512), be(8, 0, "Discard", 0), be(8, 0, "Total", 4608)}, st.Blkio.IoServiceBytesRecursive)
	require.Equal(t, []common.BlkioEntry{be(8, 0, "Read", 1), be(8, 0, "Write", 2), be(8, 0, "Discard", 0), be(8, 0, "Total", 3)}, st.Blkio.IoServicedRecursive)
	require.Equal(t, map[string]common.HugetlbStats{"2MB": {Usage: 2 << 20, Failcnt: 6}}, st.Hugetlb)
	want := &common.PSIStats{Some: common.PSIData{Avg10: 1, Avg60: 0.5, Avg300: 0.25, Total: 1000}, Full: common.PSIData{Total: 10}}
	require.Equal(t, want, st.CPU.PSI)
	require.Equal(t, want, st.Memory.PSI)
	require.Equal(t, want, st.Blkio.PSI)
}

func TestStatsV2MalformedFileIsAnErrorNamingIt(t *testing.T) {
	for _, tc := range []struct{ file, content string }{
		{"io.stat", "8:0 rbytes\n"},
		{"io.stat", "sda rbytes=1\n"},
		{"cpu.pressure", "some avg10=x\n"},
		{"memory.stat", "anon\n"},
		{"memory.max", "lots\n"},
		{"cpu.stat", "usage_usec -1\n"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			tr := fakecg.New(t, common.Unified, nil, nil)
			m := newManager(t, tr, "/ctr", nil)
			require.NoError(t, m.Apply(-1))
			if tc.file == "memory.max" {
				fakecg.Write(t, filepath.Join(m.Dir(), "memory.stat"), "anon 1\n")
			}
			p := filepath.Join(m.Dir(), tc.file)
			fakecg.Write(t, p, tc.content)
			_, err := m.Stats()
			require.ErrorContains(t, err, "parse "+p)
		})
	}
}

func TestStatsV2WithoutControllersAndGone(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, nil)
	m := newManager(t, tr, "/ctr", nil)
	_, err := m.Stats()
	require.ErrorIs(t, err, common.ErrNotExist)
	require.NoError(t, m.Apply(os.Getpid()))
	st, err := m.Stats()
	require.NoError(t, err)
	require.Equal(t, common.PidsStats{Current: 1}, st.Pids, "no pids controller: count cgroup.procs")
	require.Nil(t, st.CPU.PSI, "no pressure files (CONFIG_PSI off): not reported")
	require.Nil(t, st.Hugetlb)
}

func be(maj, min uint64, op string, v uint64) common.BlkioEntry {
	return common.BlkioEntry{Major: maj, Minor: min, Op: op, Value: v}
}
