package fs2_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/fs2"
)

// realManager returns a manager for a cgroup of the test's own in the
// host's real cgroup2 tree (/sys/fs/cgroup/unified on a hybrid host).
func realManager(t *testing.T) *fs2.Manager {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create cgroups")
	}
	host := common.Host{}.WithDefaults()
	setup, err := host.DetectSetup()
	if err != nil || setup == common.Legacy {
		t.Skipf("no cgroup2 tree on this host (setup %v, %v)", setup, err)
	}
	m, err := fs2.New(fs2.Options{Host: host, Setup: setup, Path: fmt.Sprintf("/gocontainer-dev-fs2-it-%d", os.Getpid())})
	require.NoError(t, err)
	require.NoError(t, m.Apply(-1))
	t.Cleanup(func() {
		_ = m.Kill(unix.SIGKILL)
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := m.Destroy()
			if err == nil || time.Now().After(deadline) {
				require.NoError(t, err)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	return m
}

// devNullProber is a shell in the cgroup answering "allowed"/"denied" for
// an O_RDWR open of /dev/null each time it reads a line.
func devNullProber(t *testing.T, m *fs2.Manager) func() string {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", `while read x; do if (exec 3<>/dev/null) 2>/dev/null; then echo allowed; else echo denied; fi; done`)
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	outp, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { in.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	require.NoError(t, m.AddTask(cmd.Process.Pid))
	out := bufio.NewReader(outp)
	return func() string {
		_, err := in.Write([]byte("x\n"))
		require.NoError(t, err)
		line, err := out.ReadString('\n')
		require.NoError(t, err)
		return strings.TrimSpace(line)
	}
}

func TestIntegrationSetDevicesUnifiedAndBadInputOnRealCgroup2(t *testing.T) {
	m := realManager(t)
	probe := devNullProber(t, m)
	require.Equal(t, "allowed", probe())

	zeroOnly := []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Major: p(int64(1)), Minor: p(int64(5)), Access: "rwm"}}
	err := m.Set(&specs.LinuxResources{Devices: zeroOnly, Unified: map[string]string{"cgroup.max.descendants": "3"}})
	if errors.Is(err, unix.EPERM) {
		t.Skipf("BPF not permitted here: %v", err)
	}
	require.NoError(t, err)
	require.Equal(t, "denied", probe(), "the device program forbids /dev/null")
	b, err := os.ReadFile(filepath.Join(m.Dir(), "cgroup.max.descendants"))
	require.NoError(t, err)
	require.Equal(t, "3", strings.TrimSpace(string(b)), "unified key written to the kernel file")

	// Invalid input: neither the device program nor the unified file change.
	err = m.Set(&specs.LinuxResources{
		Devices: append(zeroOnly, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: p(int64(1)), Minor: p(int64(3)), Access: "rw"}),
		Unified: map[string]string{"cgroup.max.descendants": "5", "../x.y": "1"},
	})
	require.ErrorContains(t, err, `linux.resources.unified["../x.y"]`)
	require.Equal(t, "denied", probe())
	b, err = os.ReadFile(filepath.Join(m.Dir(), "cgroup.max.descendants"))
	require.NoError(t, err)
	require.Equal(t, "3", strings.TrimSpace(string(b)))

	require.NoError(t, m.Set(&specs.LinuxResources{Devices: append(zeroOnly, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: p(int64(1)), Minor: p(int64(3)), Access: "rw"})}))
	require.Equal(t, "allowed", probe(), "the replaced program allows /dev/null")
}

func TestIntegrationHugetlbOnRealCgroup2(t *testing.T) {
	m := realManager(t)
	offered, err := os.ReadFile(filepath.Join(filepath.Dir(m.Dir()), "cgroup.controllers"))
	require.NoError(t, err)
	r := &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}}}
	if !slices.Contains(strings.Fields(string(offered)), "hugetlb") {
		// Then Set must say so, naming the controller and the field.
		err := m.Set(r)
		require.ErrorIs(t, err, common.ErrControllerUnavailable)
		require.ErrorContains(t, err, `set linux.resources.hugepageLimits[0]: the host's cgroup2 tree`)
		t.Skipf("the host's cgroup2 tree offers no hugetlb controller (cgroup.controllers: %q); checked the error instead", strings.TrimSpace(string(offered)))
	}
	require.NoError(t, m.Set(r))
	b, err := os.ReadFile(filepath.Join(m.Dir(), "hugetlb.2MB.max"))
	require.NoError(t, err)
	require.Equal(t, "4194304", strings.TrimSpace(string(b)))
}
