package fs_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/fs"
)

// realManager creates a cgroup on the real v1 hierarchies, below a parent
// of its own (/gocontainer-dev-fsv1/<test>-<pid>), and removes both at the
// end. It skips without root, without v1 hierarchies, or when one of the
// controllers is not mounted.
func realManager(t *testing.T, ctrls ...string) *fs.Manager {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create cgroups")
	}
	host := common.Host{}
	setup, err := host.DetectSetup()
	if err != nil || setup == common.Unified {
		t.Skipf("needs cgroup v1 hierarchies under %s (setup %v, %v)", common.DefaultRoot, setup, err)
	}
	parent := "/gocontainer-dev-fsv1"
	m, err := fs.New(fs.Options{Host: host, Path: fmt.Sprintf("%s/%s-%d", parent, t.Name(), os.Getpid())})
	require.NoError(t, err)
	for _, c := range ctrls {
		if m.Path(c) == "" {
			t.Skipf("needs the v1 %s controller", c)
		}
	}
	t.Cleanup(func() {
		require.NoError(t, m.Destroy())
		for _, d := range m.Paths() {
			_ = host.RemovePath(filepath.Dir(d)) // fails while a parallel run uses it
		}
	})
	require.NoError(t, m.Apply(-1))
	return m
}

func kernelValue(t *testing.T, m *fs.Manager, ctrl, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(m.Path(ctrl), file))
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

// firstBlockDevice returns "major:minor" of a whole disk, for blkio
// throttling (the kernel refuses partitions and unknown devices).
func firstBlockDevice(t *testing.T) (int64, int64, bool) {
	ents, _ := os.ReadDir("/sys/block")
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "loop") || strings.HasPrefix(e.Name(), "ram") || strings.HasPrefix(e.Name(), "zram") {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/sys/block", e.Name(), "dev"))
		if err != nil {
			continue
		}
		var maj, min int64
		if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "%d:%d", &maj, &min); err == nil {
			return maj, min, true
		}
	}
	return 0, 0, false
}

func TestRealV1LimitsLandInKernelFiles(t *testing.T) {
	m := realManager(t, "cpu", "cpuset", "memory", "pids", "blkio", "devices")
	r := &specs.LinuxResources{
		CPU: &specs.LinuxCPU{Shares: ptr[uint64](512), Period: ptr[uint64](50000), Quota: ptr[int64](20000), Cpus: "0", Mems: "0"},
		Memory: &specs.LinuxMemory{Limit: ptr[int64](64 << 20), Swap: ptr[int64](128 << 20),
			Reservation: ptr[int64](32 << 20), Swappiness: ptr[uint64](10)},
		Pids: &specs.LinuxPids{Limit: ptr[int64](20)},
		Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](3), Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](5), Access: "rw"},
		},
	}
	maj, min, haveDisk := firstBlockDevice(t)
	if haveDisk {
		r.BlockIO = &specs.LinuxBlockIO{ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{
			{LinuxBlockIODevice: dev(maj, min), Rate: 1 << 20}}}
	}
	bfq := common.Exists(m.Path("blkio")) && fileExists(filepath.Join(m.Path("blkio"), "blkio.bfq.weight"))
	if bfq {
		if r.BlockIO == nil {
			r.BlockIO = &specs.LinuxBlockIO{}
		}
		r.BlockIO.Weight = ptr[uint16](500)
	}
	require.NoError(t, m.Set(r))

	for _, c := range []struct{ ctrl, file, want string }{
		{"cpu", "cpu.shares", "512"},
		{"cpu", "cpu.cfs_period_us", "50000"},
		{"cpu", "cpu.cfs_quota_us", "20000"},
		{"cpuset", "cpuset.cpus", "0"},
		{"cpuset", "cpuset.mems", "0"},
		{"memory", "memory.limit_in_bytes", "67108864"},
		{"memory", "memory.soft_limit_in_bytes", "33554432"},
		{"memory", "memory.swappiness", "10"},
		{"pids", "pids.max", "20"},
		{"devices", "devices.list", "c 1:3 rwm\nc 1:5 rw"},
	} {
		require.Equal(t, c.want, kernelValue(t, m, c.ctrl, c.file), c.file)
	}
	if fileExists(filepath.Join(m.Path("memory"), "memory.memsw.limit_in_bytes")) {
		require.Equal(t, "134217728", kernelValue(t, m, "memory", "memory.memsw.limit_in_bytes"))
	}
	if haveDisk {
		require.Equal(t, fmt.Sprintf("%d:%d 1048576", maj, min), kernelValue(t, m, "blkio", "blkio.throttle.read_bps_device"))
	} else {
		t.Log("no whole disk under /sys/block: blkio throttling not checked")
	}
	if bfq {
		require.Equal(t, "500", kernelValue(t, m, "blkio", "blkio.bfq.weight"))
	} else {
		t.Log("no blkio.bfq.weight: blkio weight not checked")
	}

}

// TestRealV1CPUPeriodRetriedAfterQuota reproduces the case runc retries:
// under a parent limited to half a CPU, a child at 50000/100000 moving to
// 25000/50000 has its new period refused (EINVAL: 50000/50000 would exceed
// the parent) until the new quota is in.
func TestRealV1CPUPeriodRetriedAfterQuota(t *testing.T) {
	parent := realManager(t, "cpu")
	half := &specs.LinuxResources{CPU: &specs.LinuxCPU{Period: ptr[uint64](100000), Quota: ptr[int64](50000)}}
	require.NoError(t, parent.Set(half))
	rel, err := filepath.Rel(common.DefaultRoot, parent.Path("cpu"))
	require.NoError(t, err)
	_, inner, _ := strings.Cut(rel, "/") // drop the hierarchy directory
	child, err := fs.New(fs.Options{Path: "/" + inner + "/child"})
	require.NoError(t, err)
	require.NoError(t, child.Apply(-1))
	require.NoError(t, child.Set(half))
	require.NoError(t, child.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Period: ptr[uint64](50000), Quota: ptr[int64](25000)}}))
	require.Equal(t, "50000", kernelValue(t, child, "cpu", "cpu.cfs_period_us"))
	require.Equal(t, "25000", kernelValue(t, child, "cpu", "cpu.cfs_quota_us"))
}

// TestRealV1MemorySwapOrder moves memory and memory+swap both below and
// above their current values: the kernel refuses any write that leaves
// memsw below the limit, so only the right order succeeds each way.
func TestRealV1MemorySwapOrder(t *testing.T) {
	m := realManager(t, "memory")
	if !fileExists(filepath.Join(m.Path("memory"), "memory.memsw.limit_in_bytes")) {
		t.Skip("needs swap accounting (memory.memsw.limit_in_bytes)")
	}
	for _, step := range []struct{ limit, swap int64 }{
		{64 << 20, 64 << 20},
		{256 << 20, 512 << 20}, // raise: memsw first
		{32 << 20, 48 << 20},   // lower: limit first
		{-1, 0},                // unlimited lifts memsw too
	} {
		r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(step.limit)}}
		if step.swap != 0 {
			r.Memory.Swap = ptr(step.swap)
		}
		require.NoError(t, m.Set(r), "limit %d swap %d", step.limit, step.swap)
		if step.limit > 0 {
			require.Equal(t, fmt.Sprint(step.limit), kernelValue(t, m, "memory", "memory.limit_in_bytes"))
			require.Equal(t, fmt.Sprint(step.swap), kernelValue(t, m, "memory", "memory.memsw.limit_in_bytes"))
		}
	}
	require.Equal(t, kernelValue(t, m, "memory", "memory.limit_in_bytes"), kernelValue(t, m, "memory", "memory.memsw.limit_in_bytes"))

	// Bad input leaves the kernel's limits alone.
	require.NoError(t, m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](64 << 20), Swap: ptr[int64](64 << 20)}}))
	err := m.Set(&specs.LinuxResources{
		Pids:   &specs.LinuxPids{Limit: ptr[int64](3)},
		Memory: &specs.LinuxMemory{Limit: ptr[int64](128 << 20), Swap: ptr[int64](96 << 20)},
	})
	require.ErrorIs(t, err, fs.ErrInvalidResources)
	require.ErrorContains(t, err, "linux.resources.memory.swap")
	require.Equal(t, "67108864", kernelValue(t, m, "memory", "memory.limit_in_bytes"))
	require.Equal(t, "67108864", kernelValue(t, m, "memory", "memory.memsw.limit_in_bytes"))
	if m.Path("pids") != "" {
		require.Equal(t, "max", kernelValue(t, m, "pids", "pids.max"))
	}
}

// TestRealV1DeviceRulesAreEnforced runs a shell in the cgroup: the rules
// allow /dev/null but not /dev/full, which the kernel must refuse to open.
func TestRealV1DeviceRulesAreEnforced(t *testing.T) {
	m := realManager(t, "devices")
	require.NoError(t, m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](3), Access: "rwm"}, // /dev/null
	}}))
	cmd := exec.Command("/bin/sh", "-c", `read go; if true 2>/dev/null >/dev/full; then echo full-open; else echo full-denied; fi; if true >/dev/null; then echo null-open; fi`)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	require.NoError(t, m.AddTask(cmd.Process.Pid))
	_, err = io.WriteString(stdin, "go\n")
	require.NoError(t, err)
	var lines []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.NoError(t, cmd.Wait())
	require.Equal(t, []string{"full-denied", "null-open"}, lines)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
