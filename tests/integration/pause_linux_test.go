package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// cpuTicks is utime+stime (fields 14 and 15 of /proc/PID/stat) in clock
// ticks: it only grows while the process runs.
func cpuTicks(t *testing.T, pid int) uint64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err, "stat of container process %d", pid)
	s := string(data)
	// comm may hold spaces: fields start after the last ')', with field 3
	// (state) first, so fields 14 and 15 are at 11 and 12.
	i := strings.LastIndexByte(s, ')')
	require.GreaterOrEqual(t, i, 0, "/proc/%d/stat: %q", pid, s)
	f := strings.Fields(s[i+1:])
	require.Greater(t, len(f), 12, "/proc/%d/stat: %q", pid, s)
	utime, err := strconv.ParseUint(f[11], 10, 64)
	require.NoError(t, err, "/proc/%d/stat utime", pid)
	stime, err := strconv.ParseUint(f[12], 10, 64)
	require.NoError(t, err, "/proc/%d/stat stime", pid)
	return utime + stime
}

func cpuTicksOf(t *testing.T, pids []int) map[int]uint64 {
	t.Helper()
	m := map[int]uint64{}
	for _, p := range pids {
		m[p] = cpuTicks(t, p)
	}
	return m
}

// allAdvance waits until every process has used CPU time since before.
func allAdvance(t *testing.T, pids []int, before map[int]uint64, what string) {
	t.Helper()
	eventually(t, 5*time.Second, what, func() bool {
		for _, p := range pids {
			if cpuTicks(t, p) <= before[p] {
				return false
			}
		}
		return true
	})
}

func TestPauseFreezesEveryProcess(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	spec := baseSpec("sh", "-c", "while :; do :; done & while :; do :; done & touch /ready; while :; do :; done")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	id := "pausebusy"
	r.deleteOnCleanup(t, id)
	freezerState := freezerState(t, cg)
	procsFile := cgFile(t, "pids", cg, "cgroup.procs")

	r.ok(t, "run", "--detach", "--bundle", b.dir, id)
	eventually(t, 10*time.Second, "/ready from the container", func() bool {
		_, err := os.Stat(filepath.Join(b.rootfs, "ready"))
		return err == nil
	})
	// touch may still be on its way out when /ready appears.
	var pids []int
	eventually(t, 5*time.Second, "the shell and its two background loops, alone in "+procsFile, func() bool {
		pids = pids[:0]
		for _, f := range strings.Fields(cgValue(t, procsFile)) {
			p, err := strconv.Atoi(f)
			require.NoError(t, err, "%s: %q", procsFile, f)
			pids = append(pids, p)
		}
		return len(pids) == 3
	})
	// The measure itself must see the loops run, or a frozen reading
	// below would prove nothing.
	allAdvance(t, pids, cpuTicksOf(t, pids), "every busy process to use CPU before pause")

	r.ok(t, "pause", id)
	require.Equal(t, "paused", r.mustState(t, id).Status)
	require.Equal(t, "FROZEN", freezerState())
	frozen := cpuTicksOf(t, pids)
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, frozen, cpuTicksOf(t, pids), "CPU ticks (pid: utime+stime) of paused processes changed over 300ms")
	require.Equal(t, "FROZEN", freezerState())

	r.ok(t, "resume", id)
	require.Equal(t, "running", r.mustState(t, id).Status)
	require.Equal(t, "THAWED", freezerState())
	allAdvance(t, pids, frozen, "every process to use CPU again after resume")

	r.ok(t, "delete", "-f", id)
	r.requireNothingLeft(t, snap, id, cg)
}
