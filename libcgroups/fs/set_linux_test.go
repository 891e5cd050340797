package fs_test

//lint:file-ignore SA1019 linux.resources.memory.kernel and kernelTCP are deprecated but still appear in configs: they are read to warn that this kernel cannot apply them, as runc does.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/fs"
	"github.com/gocontainer/gocontainer/libcgroups/internal/fakecg"
)

// allV1 has every v1 controller Set writes to.
var allV1 = append([]fakecg.Hier{
	{Dir: "hugetlb", Controllers: []string{"hugetlb"}},
	{Dir: "net_cls,net_prio", Controllers: []string{"net_cls", "net_prio"}},
	{Dir: "rdma", Controllers: []string{"rdma"}},
	{Dir: "perf_event", Controllers: []string{"perf_event"}},
}, fakecg.DefaultV1...)

const unlimited = "9223372036854771712" // v1 memory "no limit" on x86-64

// kernelFiles are the control files (and their initial values) of a new
// v1 cgroup that the fake tree does not create itself.
var kernelFiles = map[string]map[string]string{
	"cpu": {
		"cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1", "cpu.cfs_burst_us": "0",
		"cpu.rt_period_us": "1000000", "cpu.rt_runtime_us": "0", "cpu.idle": "0",
	},
	"memory": {
		"memory.limit_in_bytes": unlimited, "memory.memsw.limit_in_bytes": unlimited,
		"memory.soft_limit_in_bytes": unlimited, "memory.swappiness": "60", "memory.use_hierarchy": "1",
		"memory.kmem.limit_in_bytes": unlimited, "memory.kmem.tcp.limit_in_bytes": unlimited,
		"memory.usage_in_bytes": "4096", "memory.max_usage_in_bytes": "8192",
	},
	"devices": {"devices.allow": "", "devices.deny": "", "devices.list": "a *:* rwm"},
	"blkio": {
		"blkio.bfq.weight": "100", "blkio.bfq.weight_device": "",
		"blkio.throttle.read_bps_device": "", "blkio.throttle.write_bps_device": "",
		"blkio.throttle.read_iops_device": "", "blkio.throttle.write_iops_device": "",
	},
	"hugetlb": {
		"hugetlb.2MB.limit_in_bytes": unlimited, "hugetlb.2MB.rsvd.limit_in_bytes": unlimited,
		"hugetlb.1GB.limit_in_bytes": unlimited,
	},
	"net_cls":  {"net_cls.classid": "0"},
	"net_prio": {"net_prio.ifpriomap": "lo 0"},
	"rdma":     {"rdma.max": ""},
}

// recorder wraps the manager's writes: it logs "ctrl-dir/file=value" in
// order, and fails the writes fail() picks with the error it returns.
type recorder struct {
	root   string
	writes []string
	fail   func(file, value string, n int) error // n: how many times file was written before
	count  map[string]int
}

func (r *recorder) write(dir, file, value string) error {
	rel, _ := filepath.Rel(r.root, dir)
	ctrl, _, _ := strings.Cut(rel, "/")
	r.writes = append(r.writes, ctrl+"/"+file+"="+value)
	n := r.count[file]
	r.count[file]++
	if r.fail != nil {
		if err := r.fail(file, value, n); err != nil {
			return fmt.Errorf("write %s to %s: %w", value, filepath.Join(dir, file), err)
		}
	}
	return common.WriteFile(dir, file, value)
}

// setup creates the container cgroup "/ctr" in a fake tree with hiers,
// adds the kernel's control files, and records the manager's writes.
func setup(t *testing.T, hiers []fakecg.Hier) (*fs.Manager, *recorder, *fakecg.Tree) {
	t.Helper()
	tr := fakecg.New(t, common.Legacy, hiers, nil)
	m := newManager(t, tr, "/ctr")
	require.NoError(t, m.Apply(-1))
	for ctrl, files := range kernelFiles {
		dir := m.Path(ctrl)
		if dir == "" {
			continue
		}
		for f, v := range files {
			fakecg.Write(t, filepath.Join(dir, f), v+"\n")
		}
	}
	rec := &recorder{root: tr.Root, count: map[string]int{}}
	fs.SetWriteHook(m, rec.write)
	return m, rec, tr
}

func ptr[T any](v T) *T { return &v }

func dev(major, minor int64) specs.LinuxBlockIODevice {
	return specs.LinuxBlockIODevice{Major: major, Minor: minor}
}

func TestSetWritesEveryControllerFileInOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		r      specs.LinuxResources
		before map[string]string // ctrl/file -> content before Set
		want   []string
	}{{
		name: "cpu all fields, period before quota, rt period before runtime",
		r: specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr[uint64](512), Period: ptr[uint64](50000),
			Quota: ptr[int64](25000), Burst: ptr[uint64](1000), Idle: ptr[int64](1),
			RealtimePeriod: ptr[uint64](900000), RealtimeRuntime: ptr[int64](9000)}},
		want: []string{"cpu,cpuacct/cpu.shares=512", "cpu,cpuacct/cpu.cfs_period_us=50000", "cpu,cpuacct/cpu.cfs_burst_us=1000",
			"cpu,cpuacct/cpu.cfs_quota_us=25000", "cpu,cpuacct/cpu.idle=1",
			"cpu,cpuacct/cpu.rt_period_us=900000", "cpu,cpuacct/cpu.rt_runtime_us=9000"},
	}, {
		name: "cpu unlimited quota, zero values left alone",
		r:    specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr[uint64](0), Quota: ptr[int64](-1), Period: ptr[uint64](0)}},
		want: []string{"cpu,cpuacct/cpu.cfs_quota_us=-1"},
	}, {
		name: "cpuset",
		r:    specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "1", Mems: "0"}},
		want: []string{"cpuset/cpuset.cpus=1", "cpuset/cpuset.mems=0"},
	}, {
		name: "memory lowered from unlimited: limit before memsw",
		r:    specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](100 << 20), Swap: ptr[int64](200 << 20)}},
		want: []string{"memory/memory.limit_in_bytes=104857600", "memory/memory.memsw.limit_in_bytes=209715200"},
	}, {
		name:   "memory raised above the current limit: memsw before limit",
		before: map[string]string{"memory/memory.limit_in_bytes": "52428800", "memory/memory.memsw.limit_in_bytes": "52428800"},
		r:      specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](100 << 20), Swap: ptr[int64](200 << 20)}},
		want:   []string{"memory/memory.memsw.limit_in_bytes=209715200", "memory/memory.limit_in_bytes=104857600"},
	}, {
		name:   "memory unlimited also lifts memsw, first",
		before: map[string]string{"memory/memory.limit_in_bytes": "52428800", "memory/memory.memsw.limit_in_bytes": "52428800"},
		r:      specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](-1)}},
		want:   []string{"memory/memory.memsw.limit_in_bytes=-1", "memory/memory.limit_in_bytes=-1"},
	}, {
		name: "memory limit and swap within one page are equal to the kernel",
		r:    specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](100<<20 + 1), Swap: ptr[int64](100 << 20)}},
		want: []string{"memory/memory.limit_in_bytes=104857601", "memory/memory.memsw.limit_in_bytes=104857600"},
	}, {
		name: "memory other fields",
		r: specs.LinuxResources{Memory: &specs.LinuxMemory{Reservation: ptr[int64](1 << 20), Kernel: ptr[int64](2 << 20),
			KernelTCP: ptr[int64](3 << 20), Swappiness: ptr[uint64](10), DisableOOMKiller: ptr(true), UseHierarchy: ptr(true)}},
		want: []string{"memory/memory.soft_limit_in_bytes=1048576", "memory/memory.kmem.limit_in_bytes=2097152",
			"memory/memory.kmem.tcp.limit_in_bytes=3145728", "memory/memory.swappiness=10",
			"memory/memory.oom_control=1", "memory/memory.use_hierarchy=1"},
	}, {
		name: "memory explicit false re-enables the OOM killer; swappiness -1 is unset",
		r:    specs.LinuxResources{Memory: &specs.LinuxMemory{DisableOOMKiller: ptr(false), Swappiness: ptr(^uint64(0))}},
		want: []string{"memory/memory.oom_control=0"},
	}, {
		name: "devices: reset to deny, then the rules in order",
		r: specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](3), Access: "rwm"},
			{Allow: true, Type: "c", Major: ptr[int64](136), Access: "rw"},
			{Allow: true, Type: "b", Access: "m"},
		}},
		want: []string{"devices/devices.deny=a", "devices/devices.deny=a *:* rwm", "devices/devices.allow=c 1:3 rwm",
			"devices/devices.allow=c 136:* rw", "devices/devices.allow=b *:* m"},
	}, {
		name: "blkio with bfq",
		r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](500),
			WeightDevice:            []specs.LinuxWeightDevice{{LinuxBlockIODevice: dev(8, 0), Weight: ptr[uint16](200)}},
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 0), Rate: 1 << 20}},
			ThrottleWriteBpsDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 16), Rate: 2 << 20}},
			ThrottleReadIOPSDevice:  []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 0), Rate: 100}},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(8, 0), Rate: 0}},
		}},
		want: []string{"blkio/blkio.bfq.weight=500", "blkio/blkio.bfq.weight_device=8:0 200",
			"blkio/blkio.throttle.read_bps_device=8:0 1048576", "blkio/blkio.throttle.write_bps_device=8:16 2097152",
			"blkio/blkio.throttle.read_iops_device=8:0 100", "blkio/blkio.throttle.write_iops_device=8:0 0"},
	}, {
		name:   "blkio with cfq files and leaf weights",
		before: map[string]string{"blkio/blkio.bfq.weight": "-", "blkio/blkio.weight": "500", "blkio/blkio.weight_device": "", "blkio/blkio.leaf_weight": "500", "blkio/blkio.leaf_weight_device": ""},
		r: specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](300), LeafWeight: ptr[uint16](400),
			WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: dev(8, 0), Weight: ptr[uint16](20), LeafWeight: ptr[uint16](30)}}}},
		want: []string{"blkio/blkio.weight=300", "blkio/blkio.leaf_weight=400", "blkio/blkio.weight_device=8:0 20", "blkio/blkio.leaf_weight_device=8:0 30"},
	}, {
		name: "hugetlb with and without rsvd",
		r: specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{
			{Pagesize: "2MB", Limit: 4 << 20}, {Pagesize: "1GB", Limit: 1 << 30}}},
		want: []string{"hugetlb/hugetlb.2MB.limit_in_bytes=4194304", "hugetlb/hugetlb.2MB.rsvd.limit_in_bytes=4194304",
			"hugetlb/hugetlb.1GB.limit_in_bytes=1073741824"},
	}, {
		name: "network",
		r: specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: ptr[uint32](0x100001),
			Priorities: []specs.LinuxInterfacePriority{{Name: "lo", Priority: 2}, {Name: "eth0", Priority: 5}}}},
		want: []string{"net_cls,net_prio/net_cls.classid=1048577", "net_cls,net_prio/net_prio.ifpriomap=lo 2", "net_cls,net_prio/net_prio.ifpriomap=eth0 5"},
	}, {
		name: "rdma, devices sorted, only the set limits",
		r: specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{
			"mlx5_1": {HcaObjects: ptr[uint32](10)}, "mlx4_0": {HcaHandles: ptr[uint32](2), HcaObjects: ptr[uint32](2000)}, "none": {}}},
		want: []string{"rdma/rdma.max=mlx4_0 hca_handle=2 hca_object=2000", "rdma/rdma.max=mlx5_1 hca_object=10"},
	}, {
		name: "runc's controller order across groups",
		r: specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](10)}, CPU: &specs.LinuxCPU{Shares: ptr[uint64](100), Cpus: "0"},
			Memory: &specs.LinuxMemory{Reservation: ptr[int64](4096)}, BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](10)}},
		want: []string{"cpuset/cpuset.cpus=0", "memory/memory.soft_limit_in_bytes=4096", "cpu,cpuacct/cpu.shares=100",
			"pids/pids.max=10", "blkio/blkio.bfq.weight=10"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, tr := setup(t, allV1)
			for f, v := range tc.before {
				p := filepath.Join(tr.Root, filepath.Dir(f), "ctr", filepath.Base(f))
				if v == "-" {
					require.NoError(t, os.Remove(p))
					continue
				}
				fakecg.Write(t, p, v+"\n")
			}
			require.NoError(t, m.Set(&tc.r))
			require.Equal(t, tc.want, rec.writes)
			// The fake files hold the last value written to each.
			last := map[string]string{}
			for _, w := range rec.writes {
				f, v, _ := strings.Cut(w, "=")
				last[f] = v
			}
			for f, v := range last {
				ctrl, file, _ := strings.Cut(f, "/")
				require.Equal(t, v, fakecg.Read(t, filepath.Join(tr.Root, ctrl, "ctr", file)), f)
			}
		})
	}
}

func TestSetRetriesPeriodAfterQuotaOnEINVAL(t *testing.T) {
	einvalOnce := func(file string) func(string, string, int) error {
		return func(f, _ string, n int) error {
			if f == file && n == 0 {
				return unix.EINVAL
			}
			return nil
		}
	}
	for _, tc := range []struct {
		name    string
		file    string
		cpu     specs.LinuxCPU
		want    []string
		wantErr string
	}{{
		name: "cfs period refused until the quota is set",
		file: "cpu.cfs_period_us",
		cpu:  specs.LinuxCPU{Period: ptr[uint64](10000), Quota: ptr[int64](5000)},
		want: []string{"cpu.cfs_period_us=10000", "cpu.cfs_quota_us=5000", "cpu.cfs_period_us=10000"},
	}, {
		name: "burst refused until the quota is set",
		file: "cpu.cfs_burst_us",
		cpu:  specs.LinuxCPU{Burst: ptr[uint64](2000), Quota: ptr[int64](5000)},
		want: []string{"cpu.cfs_burst_us=2000", "cpu.cfs_quota_us=5000", "cpu.cfs_burst_us=2000"},
	}, {
		name: "rt period refused until the runtime is set",
		file: "cpu.rt_period_us",
		cpu:  specs.LinuxCPU{RealtimePeriod: ptr[uint64](500000), RealtimeRuntime: ptr[int64](1000)},
		want: []string{"cpu.rt_period_us=500000", "cpu.rt_runtime_us=1000", "cpu.rt_period_us=500000"},
	}, {
		name:    "period refused without a quota to retry after is an error",
		file:    "cpu.cfs_period_us",
		cpu:     specs.LinuxCPU{Period: ptr[uint64](10000)},
		want:    []string{"cpu.cfs_period_us=10000"},
		wantErr: "set linux.resources.cpu.period: write 10000 to ",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, _ := setup(t, allV1)
			rec.fail = einvalOnce(tc.file)
			err := m.Set(&specs.LinuxResources{CPU: &tc.cpu})
			var got []string
			for _, w := range rec.writes {
				got = append(got, strings.TrimPrefix(w, "cpu,cpuacct/"))
			}
			require.Equal(t, tc.want, got)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, unix.EINVAL)
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
		})
	}
}

func TestSetMemoryLimitBelowUsageSaysSo(t *testing.T) {
	m, rec, _ := setup(t, allV1)
	rec.fail = func(f, _ string, _ int) error {
		if f == "memory.limit_in_bytes" {
			return unix.EBUSY
		}
		return nil
	}
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](4096)}})
	require.ErrorIs(t, err, unix.EBUSY)
	require.ErrorContains(t, err, "set linux.resources.memory.limit: write 4096 to ")
	require.ErrorContains(t, err, "(current usage 4096, peak usage 8192)")
}

// TestSetRejectsBadInputBeforeWriting checks that every invalid value is
// reported by field, and that nothing at all is written: pids (a valid
// group) would otherwise be written before blkio and hugetlb.
func TestSetRejectsBadInputBeforeWriting(t *testing.T) {
	for _, tc := range []struct {
		name   string
		r      specs.LinuxResources
		before map[string]string
		want   string
		is     error
	}{
		{"shares too low", specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr[uint64](1)}}, nil, "linux.resources.cpu.shares: 1 is outside 2-262144", fs.ErrInvalidResources},
		{"shares too high", specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr[uint64](300000)}}, nil, "linux.resources.cpu.shares: 300000", fs.ErrInvalidResources},
		{"period too short", specs.LinuxResources{CPU: &specs.LinuxCPU{Period: ptr[uint64](999)}}, nil, "linux.resources.cpu.period: 999 us", fs.ErrInvalidResources},
		{"negative quota", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr[int64](-2)}}, nil, "linux.resources.cpu.quota: -2 us", fs.ErrInvalidResources},
		{"tiny quota", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr[int64](10)}}, nil, "linux.resources.cpu.quota: 10 us", fs.ErrInvalidResources},
		{"burst above quota", specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr[int64](5000), Burst: ptr[uint64](6000)}}, nil, "linux.resources.cpu.burst: 6000 us is larger than quota", fs.ErrInvalidResources},
		{"rt runtime above period", specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimePeriod: ptr[uint64](1000), RealtimeRuntime: ptr[int64](2000)}}, nil, "linux.resources.cpu.realtimeRuntime: 2000 us", fs.ErrInvalidResources},
		{"idle 2", specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: ptr[int64](2)}}, nil, "linux.resources.cpu.idle: 2: must be 0 or 1", fs.ErrInvalidResources},
		{"cpus open range", specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-"}}, nil, `linux.resources.cpu.cpus: list "0-": empty element`, fs.ErrInvalidResources},
		{"cpus backwards", specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "3-1"}}, nil, "linux.resources.cpu.cpus: list \"3-1\": range 3-1 is backwards", fs.ErrInvalidResources},
		{"mems garbage", specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "zero"}}, nil, `linux.resources.cpu.mems: list "zero": "zero" is not a number`, fs.ErrInvalidResources},
		{"memory limit -2", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](-2)}}, nil, "linux.resources.memory.limit: -2", fs.ErrInvalidResources},
		{"swap below limit", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](200 << 20), Swap: ptr[int64](100 << 20)}}, nil, "linux.resources.memory.swap: 104857600 is below memory.limit 209715200", fs.ErrInvalidResources},
		{"swap below the current limit", specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: ptr[int64](100 << 20)}},
			map[string]string{"memory/memory.limit_in_bytes": "209715200"}, "linux.resources.memory.swap: 104857600 is below the current memory limit 209715200", fs.ErrInvalidResources},
		{"limit above the current memsw", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](300 << 20)}},
			map[string]string{"memory/memory.memsw.limit_in_bytes": "209715200"}, "linux.resources.memory.limit: 314572800 is above the current memory+swap limit 209715200", fs.ErrInvalidResources},
		{"swappiness", specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: ptr[uint64](101)}}, nil, "linux.resources.memory.swappiness: 101 is outside 0-100", fs.ErrInvalidResources},
		{"device type", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "p"}}}, nil, `linux.resources.devices[0].type: "p": want a, b or c`, fs.ErrInvalidResources},
		{"device access", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{}, {Type: "c", Access: "rwx"}}}, nil, `linux.resources.devices[1].access: "rwx": unknown access 'x'`, fs.ErrInvalidResources},
		{"device major", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "c", Major: ptr[int64](-5)}}}, nil, "linux.resources.devices[0].major: -5", fs.ErrInvalidResources},
		{"device hole", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Type: "c", Access: "rwm"}, {Allow: false, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](3), Access: "r"}}}, nil,
			"linux.resources.devices[1]: deny c 1:3 r cannot be applied on cgroup v1 after allow c *:* rwm", fs.ErrInvalidResources},
		{"blkio weight", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](5)}}, nil, "linux.resources.blockIO.weight: 5 is outside 10-1000", fs.ErrInvalidResources},
		{"blkio device", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: dev(-1, 0)}}}}, nil, "linux.resources.blockIO.throttleReadBpsDevice[0]: device -1:0", fs.ErrInvalidResources},
		{"hugepage size", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2M"}}}, nil, `linux.resources.hugepageLimits[0].pageSize: "2M"`, fs.ErrInvalidResources},
		{"hugepage size unknown to the kernel", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "64KB"}}}, nil,
			"linux.resources.hugepageLimits[0].pageSize: page size 64KB not supported by this kernel: no ", common.ErrControllerUnavailable},
		{"interface name", specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "a b"}}}}, nil, `linux.resources.network.priorities[0].name: "a b"`, fs.ErrInvalidResources},
		{"unified on v1", specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}, nil, "linux.resources.unified: cgroup v1", common.ErrControllerUnavailable},
		{"rt without CONFIG_RT_GROUP_SCHED", specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: ptr[int64](100)}},
			map[string]string{"cpu,cpuacct/cpu.rt_runtime_us": "-"}, "linux.resources.cpu.realtimeRuntime: kernel built without CONFIG_RT_GROUP_SCHED", common.ErrControllerUnavailable},
		{"idle on an old kernel", specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: ptr[int64](0)}},
			map[string]string{"cpu,cpuacct/cpu.idle": "-"}, "linux.resources.cpu.idle: kernel older than 5.15", common.ErrControllerUnavailable},
		{"swap without swap accounting", specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr[int64](1 << 20), Swap: ptr[int64](2 << 20)}},
			map[string]string{"memory/memory.memsw.limit_in_bytes": "-"}, "linux.resources.memory.swap: swap accounting is off", common.ErrControllerUnavailable},
		{"leaf weight without cfq", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: ptr[uint16](100)}}, nil,
			"linux.resources.blockIO.leafWeight: leaf weights were CFQ-only (removed in Linux 5.0): no ", common.ErrControllerUnavailable},
		{"weight without an io scheduler", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](100)}},
			map[string]string{"blkio/blkio.bfq.weight": "-"}, "linux.resources.blockIO.weight: no proportional-weight io scheduler", common.ErrControllerUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, tr := setup(t, allV1)
			for f, v := range tc.before {
				p := filepath.Join(tr.Root, filepath.Dir(f), "ctr", filepath.Base(f))
				if v == "-" {
					require.NoError(t, os.Remove(p))
					continue
				}
				fakecg.Write(t, p, v+"\n")
			}
			r := tc.r
			r.Pids = &specs.LinuxPids{Limit: ptr[int64](7)}
			err := m.Set(&r)
			require.ErrorIs(t, err, tc.is)
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "\n", "one-line error")
			require.Empty(t, rec.writes, "nothing written")
			require.Equal(t, "max", fakecg.Read(t, filepath.Join(m.Path("pids"), "pids.max")), "old limit kept")
		})
	}
}

func TestSetNamesControllerNotMounted(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    specs.LinuxResources
		want string
	}{
		{"blkio", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](100)}}, "linux.resources.blockIO.weight: blkio controller not mounted under "},
		{"blkio throttle", specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{}}}}, "linux.resources.blockIO.throttleWriteIOPSDevice: blkio controller not mounted under "},
		{"hugetlb", specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}}}, "linux.resources.hugepageLimits: hugetlb controller not mounted under "},
		{"net_cls", specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: ptr[uint32](1)}}, "linux.resources.network.classID: net_cls controller not mounted under "},
		{"net_prio", specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "lo"}}}}, "linux.resources.network.priorities: net_prio controller not mounted under "},
		{"rdma", specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx4_0": {}}}, "linux.resources.rdma: rdma controller not mounted under "},
		{"cpu", specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: ptr[int64](0)}}, "linux.resources.cpu.idle: cpu controller not mounted under "},
		{"cpuset", specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "0"}}, "linux.resources.cpu.mems: cpuset controller not mounted under "},
		{"memory", specs.LinuxResources{Memory: &specs.LinuxMemory{DisableOOMKiller: ptr(true)}}, "linux.resources.memory.disableOOMKiller: memory controller not mounted under "},
		{"devices", specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{}}}, "linux.resources.devices: devices controller not mounted under "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, tr := setup(t, []fakecg.Hier{{Dir: "pids", Controllers: []string{"pids"}}})
			r := tc.r
			r.Pids = &specs.LinuxPids{Limit: ptr[int64](7)}
			err := m.Set(&r)
			require.ErrorIs(t, err, common.ErrControllerUnavailable)
			require.ErrorContains(t, err, tc.want+tr.Root+": ")
			require.Empty(t, rec.writes)
		})
	}
}

func TestSetZeroGroupsAreNotRequests(t *testing.T) {
	m, rec, _ := setup(t, []fakecg.Hier{{Dir: "pids", Controllers: []string{"pids"}}})
	err := m.Set(&specs.LinuxResources{
		CPU:     &specs.LinuxCPU{Shares: ptr[uint64](0), Quota: ptr[int64](0)},
		Memory:  &specs.LinuxMemory{Limit: ptr[int64](0), DisableOOMKiller: ptr(false)},
		BlockIO: &specs.LinuxBlockIO{Weight: ptr[uint16](0)},
		Network: &specs.LinuxNetwork{ClassID: ptr[uint32](0)},
		Pids:    &specs.LinuxPids{},
	})
	require.NoError(t, err)
	require.Empty(t, rec.writes)
}

func TestSetWarnsAndSkipsMissingKernelMemoryAndBurst(t *testing.T) {
	m, rec, tr := setup(t, allV1)
	for _, f := range []string{"memory/memory.kmem.limit_in_bytes", "memory/memory.use_hierarchy", "cpu,cpuacct/cpu.cfs_burst_us"} {
		require.NoError(t, os.Remove(filepath.Join(tr.Root, filepath.Dir(f), "ctr", filepath.Base(f))))
	}
	rec.fail = func(f, _ string, _ int) error {
		if f == "memory.kmem.tcp.limit_in_bytes" {
			return unix.EOPNOTSUPP // what 6.x kernels say
		}
		return nil
	}
	require.NoError(t, m.Set(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Kernel: ptr[int64](1 << 20), KernelTCP: ptr[int64](1 << 20), UseHierarchy: ptr(true), Swappiness: ptr[uint64](0)},
		CPU:    &specs.LinuxCPU{Burst: ptr[uint64](0), Shares: ptr[uint64](2)},
	}))
	require.Equal(t, []string{"memory/memory.kmem.tcp.limit_in_bytes=1048576", "memory/memory.swappiness=0", "cpu,cpuacct/cpu.shares=2"}, rec.writes)
}

func TestSetDevicesSkipsUnchangedRules(t *testing.T) {
	rules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: ptr[int64](1), Minor: ptr[int64](3), Access: "rwm"},
		{Allow: true, Type: "c", Major: ptr[int64](5), Minor: ptr[int64](0), Access: "rw"},
		{Allow: true, Type: "c", Major: ptr[int64](5), Minor: ptr[int64](0), Access: "m"},
	}
	for _, tc := range []struct {
		list  string
		write bool
	}{
		{"c 5:0 rwm\nc 1:3 rwm\n", false}, // same set, kernel order differs
		{"c 1:3 rwm\n", true},
		{"c 1:3 rwm\nc 5:0 rw\n", true},
		{"a *:* rwm\n", true},
		{"", true},
	} {
		m, rec, _ := setup(t, allV1)
		fakecg.Write(t, filepath.Join(m.Path("devices"), "devices.list"), tc.list)
		require.NoError(t, m.Set(&specs.LinuxResources{Devices: rules}))
		require.Equal(t, tc.write, len(rec.writes) > 0, "devices.list %q: %v", tc.list, rec.writes)
	}
}

func TestDevicePlanGivesOCIOrderSemantics(t *testing.T) {
	c := func(allow bool, major, minor *int64, access string) specs.LinuxDeviceCgroup {
		return specs.LinuxDeviceCgroup{Allow: allow, Type: "c", Major: major, Minor: minor, Access: access}
	}
	for _, tc := range []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		want  []string
		err   string
	}{{
		name:  "later wider deny removes earlier narrower allows",
		rules: []specs.LinuxDeviceCgroup{{Allow: false}, c(true, ptr[int64](1), ptr[int64](3), "rw"), c(true, ptr[int64](1), ptr[int64](5), "m"), c(false, ptr[int64](1), nil, "w")},
		want:  []string{"devices.deny: a", "devices.deny: a *:* rwm", "devices.allow: c 1:3 rw", "devices.allow: c 1:5 m", "devices.deny: c 1:3 w", "devices.deny: c 1:* w"},
	}, {
		name:  "allow-all then deny adds a deny exception",
		rules: []specs.LinuxDeviceCgroup{{Allow: true}, c(false, ptr[int64](10), ptr[int64](200), "")},
		want:  []string{"devices.deny: a", "devices.allow: a *:* rwm", "devices.deny: c 10:200 rwm"},
	}, {
		name:  "allow-all, wider deny, then narrower allow is a hole",
		rules: []specs.LinuxDeviceCgroup{{Allow: true}, c(false, ptr[int64](10), nil, "rw"), c(true, ptr[int64](10), ptr[int64](200), "r")},
		err:   "linux.resources.devices[2]: allow c 10:200 r cannot be applied on cgroup v1 after deny c 10:* rw",
	}, {
		name:  "partly overlapping wildcards are a hole",
		rules: []specs.LinuxDeviceCgroup{{}, c(true, ptr[int64](1), nil, "r"), c(false, nil, ptr[int64](3), "r")},
		err:   "linux.resources.devices[2]: deny c *:3 r cannot be applied on cgroup v1 after allow c 1:* r",
	}, {
		name:  "deny with other access or device does not conflict",
		rules: []specs.LinuxDeviceCgroup{{}, c(true, nil, nil, "m"), c(false, ptr[int64](1), ptr[int64](3), "rw"), {Allow: false, Type: "b", Access: "m"}},
		want:  []string{"devices.deny: a", "devices.deny: a *:* rwm", "devices.allow: c *:* m", "devices.deny: c 1:3 rw", "devices.deny: b *:* m"},
	}, {
		name:  "type a ignores numbers and access",
		rules: []specs.LinuxDeviceCgroup{{Allow: true, Type: "a", Major: ptr[int64](4), Access: "r"}},
		want:  []string{"devices.deny: a", "devices.allow: a *:* rwm"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fs.DeviceWrites(tc.rules)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				require.ErrorIs(t, err, fs.ErrInvalidResources)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  bool
	}{
		{"", nil, false}, {"0", []int{0}, false}, {"0-3,5", []int{0, 1, 2, 3, 5}, false},
		{"5,1-2,2\n", []int{1, 2, 5}, false}, {"1,,2", nil, true}, {"-1", nil, true}, {"1-2-3", nil, true},
		{"a", nil, true}, {"+1", nil, true}, {"99999999", nil, true}, {" 1", []int{1}, false}, {"1 ,2", nil, true},
	} {
		got, err := fs.ParseCPUList(tc.in)
		if tc.err {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func FuzzParseCPUList(f *testing.F) {
	for _, s := range []string{"0-3,5", "", "1,,2", "7-7", "65536", "0-65536", "3-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := fs.ParseCPUList(s)
		if err != nil {
			return
		}
		// Accepted lists re-render to a list that parses to the same set.
		parts := make([]string, len(got))
		for i, n := range got {
			parts[i] = fmt.Sprint(n)
			if i > 0 && got[i-1] >= n {
				t.Fatalf("%q: not sorted and unique: %v", s, got)
			}
		}
		again, err := fs.ParseCPUList(strings.Join(parts, ","))
		require.NoError(t, err)
		require.Equal(t, got, again)
	})
}

func FuzzParseDevicesList(f *testing.F) {
	for _, s := range []string{"a *:* rwm\n", "c 1:3 rwm\nb *:* m\n", "c 1:3 r\nc 1:3 w\n", "x 1:1 r", "c 1: r", "c 4294967296:1 r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		allow, lines, known, err := fs.ParseDevicesListForTest(s)
		if err != nil || allow {
			require.False(t, known)
			return
		}
		require.True(t, known)
		// What was understood renders back to the kernel's format and
		// parses to the same exceptions.
		allow2, lines2, known2, err := fs.ParseDevicesListForTest(strings.Join(lines, "\n"))
		require.NoError(t, err)
		require.False(t, allow2)
		require.True(t, known2)
		require.Equal(t, lines, lines2)
	})
}

func TestLoadReadsMountinfoOnlyWhenNeeded(t *testing.T) {
	tr := fakecg.New(t, common.Legacy, nil, nil)
	m := newManager(t, tr, "/a/ctr")
	require.NoError(t, m.Apply(-1))
	saved := m.Paths()

	reads := 0
	h := tr.Host()
	readProc := h.ReadProcSelf
	h.ReadProcSelf = func(name string) ([]byte, error) {
		if name == "mountinfo" {
			reads++
		}
		return readProc(name)
	}
	opts := fs.Options{Host: h, FreezeTimeout: 100 * time.Millisecond}
	l, err := fs.Load(opts, saved)
	require.NoError(t, err)
	require.Equal(t, saved, l.Paths())
	require.True(t, l.Exists())
	require.NoError(t, l.Freeze(common.Frozen))
	require.NoError(t, l.Freeze(common.Thawed))
	require.NoError(t, l.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr[int64](3)}}))
	_, err = l.AllPids()
	require.NoError(t, err)
	require.NoError(t, l.AddTask(5))
	require.Zero(t, reads, "state/kill/update-style use needs no mountinfo")

	require.NoError(t, l.Apply(-1)) // cpuset init needs the mountpoint
	require.Equal(t, 1, reads)
	require.NoError(t, l.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "1"}}))
	require.Equal(t, 1, reads, "read once")
	require.Equal(t, "1", fakecg.Read(t, filepath.Join(saved["cpuset"], "cpuset.cpus")))

	// Older state naming only cpu of the co-mounted cpu,cpuacct: the
	// missing key is filled in from mountinfo right away.
	old := map[string]string{"cpu": saved["cpu"], "pids": saved["pids"]}
	reads = 0
	l, err = fs.Load(opts, old)
	require.NoError(t, err)
	require.Equal(t, 1, reads)
	require.Equal(t, saved["cpu"], l.Path("cpuacct"))
}
