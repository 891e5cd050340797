package capabilities

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// childEnv makes the test binary act as a container init stand-in: it
// applies the capabilities in the env var and prints its status lines.
const childEnv = "GOCONTAINER_CAPS_TEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := child(spec); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type childSpec struct {
	Caps specs.LinuxCapabilities
	UID  int
}

// child runs the init order: bounding, keepcaps, setuid, the rest.
func child(js string) error {
	runtime.LockOSThread()
	var cs childSpec
	if err := json.Unmarshal([]byte(js), &cs); err != nil {
		return err
	}
	c, err := Parse(&cs.Caps, nil)
	if err != nil {
		return err
	}
	if err := c.ApplyBounding(); err != nil {
		return err
	}
	if err := SetKeepCaps(); err != nil {
		return err
	}
	if err := unix.Setresgid(cs.UID, cs.UID, cs.UID); err != nil {
		return fmt.Errorf("setresgid: %w", err)
	}
	if err := unix.Setresuid(cs.UID, cs.UID, cs.UID); err != nil {
		return fmt.Errorf("setresuid: %w", err)
	}
	if err := c.ApplyAfterSetuid(); err != nil {
		return err
	}
	st, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(st)
	return err
}

func statusCaps(t *testing.T, out string) map[string]uint64 {
	t.Helper()
	res := map[string]uint64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":\t")
		if !ok || !strings.HasPrefix(k, "Cap") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		require.NoError(t, err)
		res[k] = n
	}
	return res
}

func TestApplyInInitOrderShowsInProcStatus(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: drops the bounding set and changes uid")
	}
	last, err := capability.LastCap()
	require.NoError(t, err)
	// The test process must itself hold CAP_SETPCAP and the caps it
	// wants to keep; a root test runner in a restricted container may not.
	self, err := capability.NewPid2(0)
	require.NoError(t, err)
	require.NoError(t, self.Load())
	if !self.Get(capability.EFFECTIVE, capability.CAP_SETPCAP) {
		t.Skip("needs CAP_SETPCAP in the effective set")
	}

	tests := []struct {
		name string
		caps specs.LinuxCapabilities
		uid  int
	}{
		{"non-root with ambient", specs.LinuxCapabilities{
			Bounding:    []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_SETPCAP"},
			Effective:   []string{"CAP_NET_BIND_SERVICE", "CAP_KILL"},
			Permitted:   []string{"CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_CHOWN"},
			Inheritable: []string{"CAP_NET_BIND_SERVICE"},
			Ambient:     []string{"CAP_NET_BIND_SERVICE"},
		}, 1000},
		{"root docker default-ish", specs.LinuxCapabilities{
			Bounding:  []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETUID", "CAP_SETGID"},
			Effective: []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETUID", "CAP_SETGID"},
			Permitted: []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETUID", "CAP_SETGID"},
		}, 0},
		{"nothing at all", specs.LinuxCapabilities{}, 65534},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			js, err := json.Marshal(childSpec{Caps: tc.caps, UID: tc.uid})
			require.NoError(t, err)
			cmd := exec.Command("/proc/self/exe", "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+string(js))
			out, err := cmd.Output()
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			require.NoError(t, err, stderr)
			got := statusCaps(t, string(out))
			c, err := Parse(&tc.caps, nil)
			require.NoError(t, err)
			require.Equal(t, Mask(c.Bounding)&(1<<(uint(last)+1)-1), got["CapBnd"], "CapBnd")
			require.Equal(t, Mask(c.Effective), got["CapEff"], "CapEff")
			require.Equal(t, Mask(c.Permitted), got["CapPrm"], "CapPrm")
			require.Equal(t, Mask(c.Inheritable), got["CapInh"], "CapInh")
			require.Equal(t, Mask(c.Ambient), got["CapAmb"], "CapAmb")
			require.Contains(t, string(out), fmt.Sprintf("Uid:\t%d\t%d\t%d", tc.uid, tc.uid, tc.uid))
		})
	}
}

// runc 1.1's default spec asks for ambient capabilities without
// inheritable ones: the kernel cannot raise them, and like runc and crun the
// init goes on without them instead of failing the container.
func TestAmbientWithoutInheritableIsSkipped(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	js, err := json.Marshal(childSpec{Caps: specs.LinuxCapabilities{
		Bounding: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}, Ambient: []string{"CAP_KILL"},
	}, UID: 1000})
	require.NoError(t, err)
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(js))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	caps := statusCaps(t, string(out))
	require.Equal(t, uint64(1)<<capability.CAP_KILL, caps["CapPrm"])
	require.Zero(t, caps["CapAmb"])
}

func TestAmbientNeedsPermittedAndInheritable(t *testing.T) {
	c := &Caps{
		Permitted:   []capability.Cap{capability.CAP_KILL, capability.CAP_CHOWN},
		Inheritable: []capability.Cap{capability.CAP_CHOWN},
		Ambient:     []capability.Cap{capability.CAP_KILL, capability.CAP_CHOWN, capability.CAP_AUDIT_WRITE},
	}
	require.Equal(t, []capability.Cap{capability.CAP_CHOWN}, c.RaisableAmbient())
	require.Equal(t, []string{"CAP_KILL", "CAP_AUDIT_WRITE"}, c.UnraisableAmbient())
}
