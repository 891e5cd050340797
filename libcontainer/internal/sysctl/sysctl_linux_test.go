package sysctl

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

const childEnv = "GOCONTAINER_SYSCTL_TEST_CHILD"

var nsSysctls = map[string]string{
	"kernel/domainname": "sysctl-test.example",
	"kernel.shmmax":     "123456789",
	"kernel.msgmax":     "9000",
	"fs.mqueue.msg_max": "20",
}

// TestMain lets the test binary act as a container init that sets
// sysctls in the namespaces it was started in.
func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "apply":
		if err := Apply(nsSysctls); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, k := range []string{"kernel.domainname", "kernel.shmmax", "kernel.msgmax", "fs.mqueue.msg_max"} {
			b, err := os.ReadFile("/proc/" + procPath(k))
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			fmt.Printf("%s=%s", k, b)
		}
		os.Exit(0)
	case "oom":
		if err := WriteOOMScoreAdj(345); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		b, err := os.ReadFile("/proc/self/oom_score_adj")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Print(string(b))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestApplyWritesNamespacedSysctlsInTheCallersNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to unshare IPC and UTS namespaces")
	}
	before := map[string]string{}
	for key, val := range nsSysctls {
		k, err := Normalize(key)
		require.NoError(t, err)
		b, err := os.ReadFile("/proc/" + procPath(k))
		require.NoError(t, err)
		before[k] = string(b)
		require.NotEqual(t, val+"\n", before[k], "the host already has the test value of %s", k)
	}

	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=apply")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, "kernel.domainname=sysctl-test.example\nkernel.shmmax=123456789\n"+
		"kernel.msgmax=9000\nfs.mqueue.msg_max=20\n", string(out))

	for k, v := range before {
		b, err := os.ReadFile("/proc/" + procPath(k))
		require.NoError(t, err)
		require.Equal(t, v, string(b), "host value of %s changed", k)
	}
}

func TestApplyErrorNamesKeyAndValue(t *testing.T) {
	tests := []struct {
		sysctls map[string]string
		want    string
	}{
		{map[string]string{"kernel.nope": "1"}, `sysctl kernel.nope="1": open /proc/sys/kernel/nope: no such file or directory`},
		{map[string]string{"kernel.shmmax": "abc"}, `sysctl kernel.shmmax="abc": write /proc/sys/kernel/shmmax: invalid argument`},
		{map[string]string{"../x": "1"}, `sysctl ../x="1": sysctl key "../x" has an invalid component ""`},
		{map[string]string{"kernel/../../etc": "1"}, `sysctl kernel/../../etc="1": sysctl key "kernel/../../etc" has an invalid component ".."`},
		{map[string]string{"kernel": "1"}, `sysctl kernel="1": open /proc/sys/kernel: is a directory`},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			require.EqualError(t, Apply(tc.sysctls), tc.want)
		})
	}
	require.NoError(t, Apply(nil))
}

func TestWriteOOMScoreAdj(t *testing.T) {
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=oom")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, "345\n", string(out))

	for _, v := range []int{-1001, 1001} {
		err := WriteOOMScoreAdj(v)
		require.EqualError(t, err, fmt.Sprintf("oom_score_adj %d: out of range -1000..1000", v))
		require.True(t, strings.HasPrefix(err.Error(), "oom_score_adj"))
	}
}
