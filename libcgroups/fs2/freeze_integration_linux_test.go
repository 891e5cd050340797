package fs2_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/common"
)

// cpuTicks is utime+stime (fields 14 and 15 of /proc/PID/stat).
func cpuTicks(t *testing.T, pid int) uint64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	s := string(data)
	// Fields after the last ')' start at field 3 (state).
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	require.Greater(t, len(f), 12, "/proc/%d/stat: %q", pid, s)
	u, err := strconv.ParseUint(f[11], 10, 64)
	require.NoError(t, err)
	st, err := strconv.ParseUint(f[12], 10, 64)
	require.NoError(t, err)
	return u + st
}

// frozenLine is the "frozen N" line of cgroup.events.
func frozenLine(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.events"))
	require.NoError(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "frozen ") {
			return l
		}
	}
	t.Fatalf("no frozen line in %s/cgroup.events: %q", dir, b)
	return ""
}

func waitAdvance(t *testing.T, pid int, since uint64, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for cpuTicks(t, pid) <= since {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 5s waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestIntegrationFreezeThawOnRealCgroup2(t *testing.T) {
	m := realManager(t)
	cmd := exec.Command("/bin/sh", "-c", "while :; do :; done")
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	// Registered after realManager's cleanup, so it runs first: the
	// child dies (thawed: SIGKILL reaches frozen tasks too) before the
	// cgroup is removed.
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	require.NoError(t, m.AddTask(pid))
	procs, err := os.ReadFile(filepath.Join(m.Dir(), "cgroup.procs"))
	require.NoError(t, err)
	require.Equal(t, []string{strconv.Itoa(pid)}, strings.Fields(string(procs)), "the child in %s", m.Dir())
	require.Equal(t, "frozen 0", frozenLine(t, m.Dir()))
	waitAdvance(t, pid, cpuTicks(t, pid), "the busy child to use CPU before freezing")

	require.NoError(t, m.Freeze(common.Frozen))
	require.Equal(t, "frozen 1", frozenLine(t, m.Dir()))
	st, err := m.FreezerState()
	require.NoError(t, err)
	require.Equal(t, common.Frozen, st)
	before := cpuTicks(t, pid)
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, before, cpuTicks(t, pid), "CPU time of the frozen child changed over 300ms")

	require.NoError(t, m.Freeze(common.Thawed))
	require.Equal(t, "frozen 0", frozenLine(t, m.Dir()))
	st, err = m.FreezerState()
	require.NoError(t, err)
	require.Equal(t, common.Thawed, st)
	waitAdvance(t, pid, before, "the thawed child to use CPU again")
}
