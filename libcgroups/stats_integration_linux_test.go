package libcgroups_test

import (
	"bufio"
	"os/exec"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups"
)

// TestIntegrationStatsOnRealHost: a shell moved into a new cgroup burns
// some CPU and touches memory there; Stats must show it, with the limits
// that Set wrote, and on a hybrid host hugetlb and PSI from the cgroup2
// tree.
func TestIntegrationStatsOnRealHost(t *testing.T) {
	setup := requireRealCgroups(t)
	parent := testParent(t)
	memLimit, pidsLimit := int64(64<<20), int64(50)
	res := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &memLimit},
		Pids:   &specs.LinuxPids{Limit: &pidsLimit},
	}
	unifiedCtrls, _ := libcgroups.Host{}.UnifiedControllers(setup)
	hugetlb := slices.Contains(unifiedCtrls, "hugetlb")
	if hugetlb {
		res.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1 << 21}}
	}
	m, err := libcgroups.New(libcgroups.Config{Path: parent + "/stats", Name: "stats", Resources: res})
	require.NoError(t, err)

	// The shell waits for a line on stdin, so the work happens only once
	// it is in the cgroup.
	cmd := exec.Command("sh", "-c", `read x; i=0; s=; while [ $i -lt 20000 ]; do i=$((i+1)); s="$s."; done; echo done; exec sleep 1000`)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // our own child only
		_ = cmd.Wait()
		_ = m.Destroy()
	})
	require.NoError(t, m.Apply(cmd.Process.Pid))
	require.NoError(t, m.Set(res))
	_, err = stdin.Write([]byte("go\n"))
	require.NoError(t, err)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "done\n", line)

	st, err := m.Stats()
	require.NoError(t, err)
	t.Logf("stats: %+v", *st)
	require.Positive(t, st.CPU.Usage.Total, "cpu usage")
	require.Positive(t, st.Memory.Usage.Usage, "memory usage")
	require.Positive(t, st.Memory.Usage.MaxUsage, "memory max usage")
	require.EqualValues(t, memLimit, st.Memory.Usage.Limit)
	require.NotEmpty(t, st.Memory.Stat, "memory.stat")
	require.EqualValues(t, 1, st.Pids.Current)
	require.EqualValues(t, pidsLimit, st.Pids.Limit)
	n, err := m.OOMKillCount()
	require.NoError(t, err)
	require.Equal(t, n, st.Memory.OOMKill)
	if m.Paths()["cpuacct"] != "" {
		require.NotEmpty(t, st.CPU.Usage.PerCPU, "v1 cpuacct.usage_percpu")
		var sum uint64
		for _, v := range st.CPU.Usage.PerCPU {
			sum += v
		}
		// cpuacct.usage and cpuacct.usage_percpu are two reads: a task of
		// the cgroup still running (exiting, or the Go runtime's threads)
		// can add to the second after the first, so allow 1 %.
		require.InDelta(t, float64(st.CPU.Usage.Total), float64(sum), float64(st.CPU.Usage.Total)/100, "per-CPU usage adds up to the total")
	}
	if setup == libcgroups.Legacy {
		return
	}
	if hugetlb {
		require.Contains(t, st.Hugetlb, "2MB", "hugetlb from the cgroup2 tree")
	}
	if st.CPU.PSI == nil {
		t.Log("no cpu.pressure in the cgroup2 directory (CONFIG_PSI off or psi=0): PSI not checked")
	} else {
		require.NotNil(t, st.Memory.PSI, "memory.pressure next to cpu.pressure")
		require.NotNil(t, st.Blkio.PSI, "io.pressure next to cpu.pressure")
	}
}
