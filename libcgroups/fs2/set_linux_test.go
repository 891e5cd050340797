package fs2_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/fs2"
	"github.com/gocontainer/gocontainer/libcgroups/internal/fakecg"
)

func p[T any](v T) *T { return &v }

var allCtrls = []string{"cpu", "cpuset", "memory", "io", "pids", "hugetlb", "rdma", "misc"}

// kernelFiles are the control files, with their initial content, the
// kernel shows in a new cgroup for each controller (the fake tree only
// makes pids and hugetlb.2MB files).
var kernelFiles = map[string]map[string]string{
	"cpu":     {"cpu.weight": "100", "cpu.max": "max 100000", "cpu.max.burst": "0", "cpu.idle": "0"},
	"cpuset":  {"cpuset.cpus": "", "cpuset.mems": ""},
	"memory":  {"memory.max": "max", "memory.low": "0", "memory.high": "max", "memory.swap.max": "max", "memory.current": "4096", "memory.oom.group": "0"},
	"io":      {"io.weight": "default 100", "io.bfq.weight": "default 100", "io.max": ""},
	"pids":    {"pids.max": "max"},
	"hugetlb": {"hugetlb.2MB.max": "max", "hugetlb.2MB.rsvd.max": "max", "hugetlb.1GB.max": "max"},
	"rdma":    {"rdma.max": ""},
	"misc":    {"misc.max": ""},
}

// recorder collects the "cgroup v2: write" debug lines: every write, in
// order, including each line of a multi-line file that the fake keeps only
// the last of.
type recorder struct {
	mu     sync.Mutex
	writes []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message != "cgroup v2: write" {
		return nil
	}
	var file, value string
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "file":
			file = a.Value.String()
		case "value":
			value = a.Value.String()
		}
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, file+"="+value)
	return nil
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.writes
	r.writes = nil
	return w
}

// leaf makes /ctr in a unified fake tree whose root offers offered, with
// enabled enabled for it and the kernel's files of those controllers.
func leaf(t *testing.T, offered, enabled []string) (*fs2.Manager, string, *recorder) {
	t.Helper()
	tr := fakecg.New(t, common.Unified, nil, offered)
	rec := &recorder{}
	m, err := fs2.New(fs2.Options{Host: tr.Host(), Setup: common.Unified, Path: "/ctr", Logger: slog.New(rec)})
	require.NoError(t, err)
	m.EnableControllers(enabled)
	require.NoError(t, m.Apply(-1))
	for _, c := range enabled {
		for f, v := range kernelFiles[c] {
			fakecg.Write(t, filepath.Join(m.Dir(), f), v+"\n")
		}
	}
	rec.take()
	return m, m.Dir(), rec
}

// snapshot reads every file of dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string]string{}
	for _, e := range ents {
		if !e.IsDir() {
			out[e.Name()] = fakecg.Read(t, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

func TestSetWritesEveryResourceGroup(t *testing.T) {
	m, dir, rec := leaf(t, allCtrls, allCtrls)
	r := &specs.LinuxResources{
		Pids:   &specs.LinuxPids{Limit: p(int64(64))},
		Memory: &specs.LinuxMemory{Limit: p(int64(1 << 30)), Reservation: p(int64(1 << 29)), Swap: p(int64(3 << 29))},
		BlockIO: &specs.LinuxBlockIO{
			Weight:                  p(uint16(500)),
			WeightDevice:            []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: p(uint16(300))}},
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1048576}},
			ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 0}},
			ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 100}},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 200}},
		},
		CPU: &specs.LinuxCPU{Shares: p(uint64(1024)), Quota: p(int64(50000)), Period: p(uint64(100000)), Burst: p(uint64(10000)),
			Idle: p(int64(0)), Cpus: "0-1", Mems: "0"},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 21}, {Pagesize: "1GB", Limit: 0}},
		Rdma:           map[string]specs.LinuxRdma{"mlx5_1": {HcaHandles: p(uint32(3))}, "mlx4_0": {HcaHandles: p(uint32(2)), HcaObjects: p(uint32(2000))}},
		Unified:        map[string]string{"memory.high": "900000000", "misc.max": "res_a 1\nres_b 2\n", "memory.oom.group": "1"},
	}
	require.NoError(t, m.Set(r))
	require.Equal(t, []string{
		"pids.max=64",
		"memory.swap.max=536870912", "memory.max=1073741824", "memory.low=536870912",
		"io.bfq.weight=500", "io.weight=4950", "io.bfq.weight=8:0 300",
		"io.max=8:0 rbps=1048576", "io.max=8:16 wbps=max", "io.max=8:0 riops=100", "io.max=8:0 wiops=200",
		"cpu.idle=0", "cpu.weight=100", "cpu.max.burst=10000", "cpu.max=50000 100000",
		"cpuset.cpus=0-1", "cpuset.mems=0",
		"hugetlb.2MB.max=8388608", "hugetlb.2MB.rsvd.max=8388608", "hugetlb.1GB.max=0",
		"rdma.max=mlx4_0 hca_handle=2 hca_object=2000", "rdma.max=mlx5_1 hca_handle=3",
		"memory.high=900000000", "memory.oom.group=1", "misc.max=res_a 1", "misc.max=res_b 2",
	}, rec.take(), "every write, in runc's order")
	for f, want := range map[string]string{
		"pids.max": "64", "memory.max": "1073741824", "memory.low": "536870912", "memory.swap.max": "536870912",
		"memory.high": "900000000", "memory.oom.group": "1", "cpu.weight": "100", "cpu.max": "50000 100000",
		"cpu.max.burst": "10000", "cpu.idle": "0", "cpuset.cpus": "0-1", "cpuset.mems": "0", "io.weight": "4950",
		"hugetlb.2MB.max": "8388608", "hugetlb.2MB.rsvd.max": "8388608", "hugetlb.1GB.max": "0",
	} {
		require.Equal(t, want, fakecg.Read(t, filepath.Join(dir, f)), f)
	}
}

func TestSetCPU(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cur    string // cpu.max before
		cpu    specs.LinuxCPU
		writes []string
	}{
		{"quota and period", "max 100000", specs.LinuxCPU{Quota: p(int64(20000)), Period: p(uint64(50000))}, []string{"cpu.max=20000 50000"}},
		{"quota only keeps the period", "max 100000", specs.LinuxCPU{Quota: p(int64(20000))}, []string{"cpu.max=20000"}},
		{"quota -1 is max", "20000 100000", specs.LinuxCPU{Quota: p(int64(-1))}, []string{"cpu.max=max"}},
		{"any negative quota is max, as runc has it", "20000 100000", specs.LinuxCPU{Quota: p(int64(-9999))}, []string{"cpu.max=max"}},
		{"period only at creation: max", "max 100000", specs.LinuxCPU{Period: p(uint64(250000))}, []string{"cpu.max=max 250000"}},
		{"period only on update keeps the quota", "30000 100000", specs.LinuxCPU{Period: p(uint64(250000))}, []string{"cpu.max=30000 250000"}},
		{"quota 0 is unset", "30000 100000", specs.LinuxCPU{Quota: p(int64(0))}, nil},
		{"shares to weight (runc's quadratic)", "max 100000", specs.LinuxCPU{Shares: p(uint64(2))}, []string{"cpu.weight=1"}},
		{"shares max", "max 100000", specs.LinuxCPU{Shares: p(uint64(262144))}, []string{"cpu.weight=10000"}},
		{"idle 1 skips the weight the kernel would refuse", "max 100000", specs.LinuxCPU{Idle: p(int64(1)), Shares: p(uint64(512))}, []string{"cpu.idle=1"}},
		{"burst", "max 100000", specs.LinuxCPU{Burst: p(uint64(0))}, []string{"cpu.max.burst=0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, dir, rec := leaf(t, allCtrls, []string{"cpu"})
			fakecg.Write(t, filepath.Join(dir, "cpu.max"), tc.cur+"\n")
			require.NoError(t, m.Set(&specs.LinuxResources{CPU: &tc.cpu}))
			require.Equal(t, tc.writes, rec.take())
		})
	}
}

func TestSetMemorySwap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cur    string // memory.max before
		mem    specs.LinuxMemory
		writes []string
	}{
		{"swap is memory+swap", "max", specs.LinuxMemory{Limit: p(int64(1000)), Swap: p(int64(3000))}, []string{"memory.swap.max=2000", "memory.max=1000"}},
		{"swap equal to limit: no swap", "max", specs.LinuxMemory{Limit: p(int64(1000)), Swap: p(int64(1000))}, []string{"memory.swap.max=0", "memory.max=1000"}},
		{"swap -1 unlimited", "max", specs.LinuxMemory{Limit: p(int64(1000)), Swap: p(int64(-1))}, []string{"memory.swap.max=max", "memory.max=1000"}},
		{"limit -1, swap unset: both unlimited", "1000", specs.LinuxMemory{Limit: p(int64(-1))}, []string{"memory.swap.max=max", "memory.max=max"}},
		{"limit -1, swap 0: both unlimited", "1000", specs.LinuxMemory{Limit: p(int64(-1)), Swap: p(int64(0))}, []string{"memory.swap.max=max", "memory.max=max"}},
		{"limit only leaves swap", "max", specs.LinuxMemory{Limit: p(int64(1000))}, []string{"memory.max=1000"}},
		{"swap-only update uses the limit in force", "1000", specs.LinuxMemory{Swap: p(int64(5000))}, []string{"memory.swap.max=4000"}},
		{"swap-only update under unlimited memory", "max", specs.LinuxMemory{Swap: p(int64(5000))}, []string{"memory.swap.max=5000"}},
		{"limit 0 is unset (runc)", "max", specs.LinuxMemory{Limit: p(int64(0))}, nil},
		{"reservation", "max", specs.LinuxMemory{Reservation: p(int64(-1))}, []string{"memory.low=max"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, dir, rec := leaf(t, allCtrls, []string{"memory"})
			fakecg.Write(t, filepath.Join(dir, "memory.max"), tc.cur+"\n")
			require.NoError(t, m.Set(&specs.LinuxResources{Memory: &tc.mem}))
			require.Equal(t, tc.writes, rec.take())
		})
	}
}

func TestSetSwapWithoutSwapAccounting(t *testing.T) {
	m, dir, rec := leaf(t, allCtrls, []string{"memory"})
	require.NoError(t, os.Remove(filepath.Join(dir, "memory.swap.max")))
	require.NoError(t, m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: p(int64(1000)), Swap: p(int64(1000))}}), "no swap asked: fine without the file")
	require.Equal(t, []string{"memory.max=1000"}, rec.take())
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: p(int64(1000)), Swap: p(int64(2000))}})
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "set linux.resources.memory.swap: "+filepath.Join(dir, "memory.swap.max"))
	require.Empty(t, rec.take(), "memory.max not written either")
}

func TestSetIOWithoutPerDeviceBFQ(t *testing.T) {
	m, dir, rec := leaf(t, allCtrls, []string{"io"})
	fakecg.Write(t, filepath.Join(dir, "io.bfq.weight"), "100\n") // pre-5.4: a bare number
	require.NoError(t, os.Remove(filepath.Join(dir, "io.weight")))
	require.NoError(t, m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
		Weight:       p(uint16(10)),
		WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: p(uint16(300))}},
	}}))
	require.Equal(t, []string{"io.bfq.weight=10"}, rec.take(), "per-device weight dropped (runc), io.weight absent")
}

func TestSetHugetlbWithoutRsvd(t *testing.T) {
	m, dir, rec := leaf(t, allCtrls, []string{"hugetlb"})
	require.NoError(t, os.Remove(filepath.Join(dir, "hugetlb.2MB.rsvd.max")))
	require.NoError(t, m.Set(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 2 << 20}}}))
	require.Equal(t, []string{"hugetlb.2MB.max=2097152"}, rec.take())
}

func TestSetMemoryCheckBeforeUpdate(t *testing.T) {
	m, _, rec := leaf(t, allCtrls, []string{"memory"}) // memory.current is 4096
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: p(int64(4095)), CheckBeforeUpdate: p(true)}})
	require.ErrorContains(t, err, "linux.resources.memory.limit: 4095 is below the current usage 4096")
	require.NoError(t, m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: p(int64(4095))}}), "without the check the kernel reclaims")
	require.Equal(t, []string{"memory.max=4095"}, rec.take())
}

// TestSetBadInputLeavesFilesUntouched: every invalid resource fails with
// an error naming the field, and no file changes, even for the valid
// fields given with it.
func TestSetBadInputLeavesFilesUntouched(t *testing.T) {
	valid := func(r specs.LinuxResources) *specs.LinuxResources {
		r.Pids = &specs.LinuxPids{Limit: p(int64(5))}
		r.CPU = cmpOr(r.CPU, &specs.LinuxCPU{Shares: p(uint64(512))})
		return &r
	}
	for _, tc := range []struct {
		name string
		r    specs.LinuxResources
		want string
		is   error
	}{
		{"negative memory", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: p(int64(-2))}}, "linux.resources.memory.limit: invalid value -2", nil},
		{"negative reservation", specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: p(int64(-5))}}, "linux.resources.memory.reservation: invalid value -5", nil},
		{"swap below memory", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: p(int64(2000)), Swap: p(int64(1000))}}, "linux.resources.memory.swap: memory.swap 1000 < memory.limit 2000", common.ErrSwapBelowMemory},
		{"swap-only below the limit in force", specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: p(int64(10))}}, "linux.resources.memory.swap: memory.swap 10 < memory.limit 1000", common.ErrSwapBelowMemory},
		{"tiny quota", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: p(int64(999))}}, "linux.resources.cpu.quota: 999 is below", nil},
		{"period too long", specs.LinuxResources{CPU: &specs.LinuxCPU{Period: p(uint64(2000000))}}, "linux.resources.cpu.period: 2000000 out of range", nil},
		{"idle 2", specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: p(int64(2))}}, "linux.resources.cpu.idle: invalid value 2", nil},
		{"realtime", specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: p(int64(100))}}, "linux.resources.cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no realtime", errors.ErrUnsupported},
		{"malformed cpuset", specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-"}}, `linux.resources.cpu.cpus: malformed list "0-"`, nil},
		{"descending mems", specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "3-1"}}, `linux.resources.cpu.mems: malformed list "3-1"`, nil},
		{"blkio weight", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: p(uint16(5))}}, "linux.resources.blockIO.weight: 5 out of range", nil},
		{"blkio device", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: -1}}}}}, "linux.resources.blockIO.throttleReadBpsDevice[0]: invalid device -1:0", nil},
		{"page size", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "../2MB"}}}, `linux.resources.hugepageLimits[0].pageSize: invalid page size "../2MB"`, nil},
		{"unknown page size", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "3MB"}}}, "set linux.resources.hugepageLimits[0]: " + "<dir>/hugetlb.3MB.max", os.ErrNotExist},
		{"unified slash", specs.LinuxResources{Unified: map[string]string{"../memory.max": "1"}}, `linux.resources.unified["../memory.max"]: must be a control file name`, nil},
		{"unified dotdot", specs.LinuxResources{Unified: map[string]string{"memory..max": "1"}}, `linux.resources.unified["memory..max"]: must be a control file name`, nil},
		{"unified no controller", specs.LinuxResources{Unified: map[string]string{"max": "1"}}, `linux.resources.unified["max"]: must have the form CONTROLLER.PARAMETER`, nil},
		{"unified controller not enabled", specs.LinuxResources{Unified: map[string]string{"io.max": "8:0 rbps=1"}}, `set linux.resources.unified["io.max"]: "io" controller not enabled for <dir>`, common.ErrControllerUnavailable},
		{"unified controller not on host", specs.LinuxResources{Unified: map[string]string{"rdma.max": "x"}}, `set linux.resources.unified["rdma.max"]: the host's cgroup2 tree`, common.ErrControllerUnavailable},
		{"controller not on host", specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx4_0": {HcaHandles: p(uint32(1))}}}, `set linux.resources.rdma["mlx4_0"]: the host's cgroup2 tree`, common.ErrControllerUnavailable},
		{"devices", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Type: "x"}}}, `linux.resources.devices[0].type: invalid device cgroup type "x"`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			offered := []string{"cpu", "cpuset", "memory", "io", "pids", "hugetlb"}
			m, dir, rec := leaf(t, offered, []string{"cpu", "cpuset", "memory", "pids", "hugetlb"})
			fakecg.Write(t, filepath.Join(dir, "memory.max"), "1000\n")
			before := snapshot(t, dir)
			err := m.Set(valid(tc.r))
			require.ErrorContains(t, err, strings.ReplaceAll(tc.want, "<dir>", dir))
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			require.Empty(t, rec.take(), "nothing written")
			require.Equal(t, before, snapshot(t, dir))
		})
	}
}

func cmpOr(a, b *specs.LinuxCPU) *specs.LinuxCPU {
	if a != nil {
		return a
	}
	return b
}

func TestSetEnablesControllersAResourceNeeds(t *testing.T) {
	tr := fakecg.New(t, common.Unified, nil, allCtrls)
	m := newManager(t, tr, "/ctr", nil)
	require.NoError(t, m.Apply(-1))
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: p(int64(1000))}})
	require.ErrorIs(t, err, common.ErrControllerUnavailable, "the fake does not add files to an existing cgroup")
	require.ErrorContains(t, err, `set linux.resources.memory.limit: "memory" controller not enabled for `+m.Dir())
	require.Equal(t, "+memory", fakecg.Read(t, filepath.Join(tr.Root, "cgroup.subtree_control")), "Set enabled memory in the parent")
	// The kernel then shows the memory files in the cgroup; emulate it.
	fakecg.Write(t, filepath.Join(m.Dir(), "cgroup.controllers"), "memory\n")
	fakecg.Write(t, filepath.Join(m.Dir(), "memory.max"), "max\n")
	require.NoError(t, m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: p(int64(1000))}}))
	require.Equal(t, "1000", fakecg.Read(t, filepath.Join(m.Dir(), "memory.max")))
}

// TestSetRestoresEarlierLimitsWhenTheKernelRefusesOne: a write that fails
// after validation (here cpuset.cpus, made unwritable) puts back what the
// same Set had already written.
func TestSetRestoresEarlierLimitsWhenTheKernelRefusesOne(t *testing.T) {
	m, dir, _ := leaf(t, allCtrls, allCtrls)
	fakecg.Write(t, filepath.Join(dir, "cpu.max"), "30000 100000\n")
	before := snapshot(t, dir)
	require.NoError(t, os.Remove(filepath.Join(dir, "cpuset.cpus")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "cpuset.cpus"), 0o755)) // open(O_WRONLY) fails: EISDIR
	err := m.Set(&specs.LinuxResources{
		Pids:   &specs.LinuxPids{Limit: p(int64(3))},
		Memory: &specs.LinuxMemory{Limit: p(int64(5000)), Swap: p(int64(6000))},
		CPU:    &specs.LinuxCPU{Quota: p(int64(-1)), Shares: p(uint64(4096)), Cpus: "1"},
	})
	require.ErrorContains(t, err, "set linux.resources.cpu.cpus: write 1 to "+filepath.Join(dir, "cpuset.cpus"))
	after := snapshot(t, dir)
	delete(before, "cpuset.cpus")
	require.Equal(t, before, after, "pids.max, memory.*, cpu.* restored")
}
