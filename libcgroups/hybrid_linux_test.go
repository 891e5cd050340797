package libcgroups

import (
	"errors"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/internal/fakecg"
)

func ptr[T any](v T) *T { return &v }

// fakeHalf records what the hybrid manager asks of one half.
type fakeHalf struct {
	Manager // nil: calling anything else panics
	mounted map[string]bool
	set     []*specs.LinuxResources
	checked []*specs.LinuxResources
	calls   *[]string
	name    string
	err     error
}

func (f *fakeHalf) Path(c string) string {
	if f.mounted[c] {
		return "/v1/" + c
	}
	return ""
}
func (f *fakeHalf) Dir() string { return "/unified/ctr" }
func (f *fakeHalf) Set(r *specs.LinuxResources) error {
	*f.calls = append(*f.calls, f.name+".Set")
	f.set = append(f.set, r)
	return f.err
}
func (f *fakeHalf) Check(r *specs.LinuxResources) error {
	*f.calls = append(*f.calls, f.name+".Check")
	f.checked = append(f.checked, r)
	return f.err
}

// thisHost is the development host's layout: every controller on v1 but
// hugetlb, rdma and misc (and no net_cls/net_prio mounts).
var thisHost = map[string]bool{"cpu": true, "cpuacct": true, "cpuset": true, "memory": true, "devices": true, "freezer": true, "blkio": true, "pids": true}

func fakeHybrid(v1 map[string]bool) (*hybridManager, *fakeHalf, *fakeHalf, *[]string) {
	calls := &[]string{}
	f1 := &fakeHalf{mounted: v1, calls: calls, name: "v1"}
	f2 := &fakeHalf{calls: calls, name: "v2"}
	return &hybridManager{v1: f1, v2: f2}, f1, f2, calls
}

func TestHybridSetRoutesEachGroupWhereItsControllerIs(t *testing.T) {
	h, f1, f2, calls := fakeHybrid(thisHost)
	r := &specs.LinuxResources{
		Devices:        []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
		Memory:         &specs.LinuxMemory{Limit: ptr(int64(1 << 20))},
		CPU:            &specs.LinuxCPU{Shares: ptr(uint64(512)), Cpus: "0"},
		Pids:           &specs.LinuxPids{Limit: ptr(int64(10))},
		BlockIO:        &specs.LinuxBlockIO{Weight: ptr(uint16(100))},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1 << 21}},
		Network:        &specs.LinuxNetwork{ClassID: ptr(uint32(7))},
		Rdma:           map[string]specs.LinuxRdma{"mlx4_0": {HcaHandles: ptr(uint32(1))}},
		Unified:        map[string]string{"hugetlb.1GB.max": "0"},
	}
	require.NoError(t, h.Set(r))
	require.Equal(t, []string{"v2.Check", "v1.Set", "v2.Set"}, *calls, "cgroup2 half checked before anything is written")
	require.Equal(t, []*specs.LinuxResources{{
		Devices: r.Devices, Memory: r.Memory, CPU: &specs.LinuxCPU{Shares: r.CPU.Shares, Cpus: "0"}, Pids: r.Pids, BlockIO: r.BlockIO,
	}}, f1.set)
	v2 := &specs.LinuxResources{HugepageLimits: r.HugepageLimits, Network: r.Network, Rdma: r.Rdma, Unified: r.Unified}
	require.Equal(t, []*specs.LinuxResources{v2}, f2.checked)
	require.Equal(t, []*specs.LinuxResources{v2}, f2.set)
}

func TestHybridSetV2CheckFailureWritesNothing(t *testing.T) {
	h, f1, f2, calls := fakeHybrid(thisHost)
	f2.err = errors.New("bad unified key")
	err := h.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(1))}, Unified: map[string]string{"x/y": "1"}})
	require.ErrorContains(t, err, "bad unified key")
	require.Equal(t, []string{"v2.Check"}, *calls)
	require.Empty(t, f1.set)
	require.Empty(t, f2.set)
}

func TestHybridSetV1FailureStopsBeforeV2(t *testing.T) {
	h, f1, _, calls := fakeHybrid(thisHost)
	f1.err = errors.New("v1 said no")
	require.ErrorContains(t, h.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(1))}}), "v1 said no")
	require.Equal(t, []string{"v2.Check", "v1.Set"}, *calls)
}

func TestSplitResources(t *testing.T) {
	cpu := &specs.LinuxCPU{Shares: ptr(uint64(2)), Quota: ptr(int64(5000)), Cpus: "0-1", Mems: "0"}
	for _, tc := range []struct {
		name   string
		v1     map[string]bool
		r      *specs.LinuxResources
		w1, w2 *specs.LinuxResources
	}{
		{"nil", thisHost, nil, nil, nil},
		{"empty", thisHost, &specs.LinuxResources{}, nil, nil},
		{"pids on v1", thisHost, &specs.LinuxResources{Pids: &specs.LinuxPids{}}, &specs.LinuxResources{Pids: &specs.LinuxPids{}}, nil},
		{"pids on v2 when not mounted as v1", map[string]bool{"memory": true}, &specs.LinuxResources{Pids: &specs.LinuxPids{}}, nil, &specs.LinuxResources{Pids: &specs.LinuxPids{}}},
		{"cpu on v1, cpuset on v2", map[string]bool{"cpu": true}, &specs.LinuxResources{CPU: cpu},
			&specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: cpu.Shares, Quota: cpu.Quota}}, &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1", Mems: "0"}}},
		{"cpu and cpuset both on v2", map[string]bool{}, &specs.LinuxResources{CPU: cpu}, nil, &specs.LinuxResources{CPU: cpu}},
		{"cpuset only", thisHost, &specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "0"}}, &specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "0"}}, nil},
		{"devices: v1 controller when mounted", thisHost, &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "r"}}}, &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "r"}}}, nil},
		{"devices: eBPF on v2 without v1 devices", map[string]bool{"pids": true}, &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "r"}}}, nil, &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Access: "r"}}}},
		{"network split", map[string]bool{"net_prio": true}, &specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: ptr(uint32(1)), Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 1}}}},
			&specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 1}}}}, &specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: ptr(uint32(1))}}},
		{"unified always v2", thisHost, &specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}, nil, &specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}},
		{"hugetlb and rdma v2 here", thisHost, &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB"}}, Rdma: map[string]specs.LinuxRdma{"d": {}}},
			nil, &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB"}}, Rdma: map[string]specs.LinuxRdma{"d": {}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v1, v2 := splitResources(tc.r, func(c string) bool { return tc.v1[c] })
			require.Equal(t, tc.w1, v1, "v1 half")
			require.Equal(t, tc.w2, v2, "v2 half")
		})
	}
	require.Equal(t, "0-1", cpu.Cpus, "the caller's resources are not modified")
}

// TestHybridSetOnFakeRoots drives the real v1 and v2 managers on a fake
// hybrid tree: pids goes to the v1 hierarchy, hugetlb to the cgroup2 tree.
func TestHybridSetOnFakeRoots(t *testing.T) {
	tr := fakecg.New(t, Hybrid, nil, []string{"hugetlb"})
	res := &specs.LinuxResources{
		Pids:           &specs.LinuxPids{Limit: ptr(int64(7))},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
	}
	m, err := New(Config{Host: tr.Host(), Path: "/ctr", Resources: res})
	require.NoError(t, err)
	require.IsType(t, &hybridManager{}, m)
	require.NoError(t, m.Apply(-1))
	require.NoError(t, m.Set(res))
	require.Equal(t, "7", fakecg.Read(t, filepath.Join(tr.Root, "pids/ctr/pids.max")))
	require.Equal(t, "4194304", fakecg.Read(t, filepath.Join(tr.Root, "unified/ctr/hugetlb.2MB.max")))
	require.NoFileExists(t, filepath.Join(tr.Root, "unified/ctr/pids.max"))

	// Bad v2 input: the v1 pids limit is not touched either.
	err = m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(9))}, HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2XB"}}})
	require.ErrorContains(t, err, `linux.resources.hugepageLimits[0].pageSize: invalid page size "2XB"`)
	require.Equal(t, "7", fakecg.Read(t, filepath.Join(tr.Root, "pids/ctr/pids.max")))

	// A controller neither half has: an error naming it, nothing written.
	err = m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(9))}, Rdma: map[string]specs.LinuxRdma{"mlx4_0": {HcaHandles: ptr(uint32(1))}}})
	require.ErrorIs(t, err, ErrControllerUnavailable)
	require.ErrorContains(t, err, `set linux.resources.rdma["mlx4_0"]: the host's cgroup2 tree`)
	require.Contains(t, err.Error(), `no "rdma" controller`)
	require.Equal(t, "7", fakecg.Read(t, filepath.Join(tr.Root, "pids/ctr/pids.max")))
}
