package rlimits

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const childEnv = "GOCONTAINER_RLIMITS_TEST_CHILD"

// TestMain lets the test binary act as a process that applies limits and
// then execs a shell, the way the container init does.
func TestMain(m *testing.M) {
	if js := os.Getenv(childEnv); js != "" {
		var rl []specs.POSIXRlimit
		if err := json.Unmarshal([]byte(js), &rl); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := Apply(rl); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		err := unix.Exec("/bin/sh", []string{"sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -Sc; ulimit -Hc"}, []string{"PATH=/bin:/usr/bin"})
		fmt.Fprintln(os.Stderr, "exec:", err)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func runChild(t *testing.T, rl []specs.POSIXRlimit) (string, error) {
	t.Helper()
	js, err := json.Marshal(rl)
	require.NoError(t, err)
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(js))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestApplySurvivesExec(t *testing.T) {
	var cur unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &cur))
	// Lowering is allowed to anyone; pick values below the current hard
	// limit that differ from Go's start-up raise (soft = hard).
	hard := min(cur.Max, 4096)
	soft := hard / 2
	out, err := runChild(t, []specs.POSIXRlimit{
		{Type: "RLIMIT_NOFILE", Soft: soft, Hard: hard},
		{Type: "RLIMIT_CORE", Soft: 0, Hard: 0},
	})
	require.NoError(t, err, out)
	require.Equal(t, fmt.Sprintf("%d\n%d\n0\n0\n", soft, hard), out)
}

func TestApplyErrorNamesResourceAndValues(t *testing.T) {
	out, err := runChild(t, []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 5}})
	require.Error(t, err)
	require.Equal(t, "setrlimit RLIMIT_NOFILE soft=10 hard=5: invalid argument\n", out)

	out, err = runChild(t, []specs.POSIXRlimit{{Type: "RLIMIT_BOGUS", Soft: 1, Hard: 1}})
	require.Error(t, err)
	require.Equal(t, "unknown rlimit type \"RLIMIT_BOGUS\"\n", out)
}

func TestApplyRaisingHardLimitWithoutPrivilegeIsEPERM(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to drop to an unprivileged uid")
	}
	var cur unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &cur))
	js, err := json.Marshal([]specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 64, Hard: cur.Max + 1}})
	require.NoError(t, err)
	// The child runs as nobody with the inherited hard limit and asks the
	// package under test to raise it by one.
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(js))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	require.True(t, strings.HasSuffix(string(out), fmt.Sprintf(
		"setrlimit RLIMIT_NOFILE soft=64 hard=%d: operation not permitted\n", cur.Max+1)), string(out))
}

func TestApplyPidSetsAnotherProcessLimits(t *testing.T) {
	cmd := exec.Command("/bin/sleep", "30")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	require.NoError(t, ApplyPid(cmd.Process.Pid, []specs.POSIXRlimit{{Type: "RLIMIT_CORE", Soft: 123 * 1024, Hard: 456 * 1024}}))
	lim, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", cmd.Process.Pid))
	require.NoError(t, err)
	require.Regexp(t, `Max core file size\s+125952\s+466944\s+bytes`, string(lim))
	require.EqualError(t, ApplyPid(0, nil), "prlimit: invalid pid 0")
}
