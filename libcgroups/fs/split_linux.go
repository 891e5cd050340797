package fs

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Split divides r for a hybrid host: v1 holds the groups whose controller
// is mounted as a v1 hierarchy (what Set applies here), rest the groups
// whose controller is not (to be applied in the cgroup2 tree, e.g. hugetlb
// on a host that only has it there) and linux.resources.unified. Groups
// sharing an OCI struct are split by controller: cpu.cpus/mems go with
// cpuset, the other cpu fields with cpu; network.classID with net_cls,
// network.priorities with net_prio. Either result is nil when empty. r is
// not modified; the results share its pointers.
func (m *Manager) Split(r *specs.LinuxResources) (v1, rest *specs.LinuxResources) {
	if r == nil {
		return nil, nil
	}
	v1, rest = &specs.LinuxResources{}, &specs.LinuxResources{}
	pick := func(ctrl string) *specs.LinuxResources {
		if _, ok := m.paths[ctrl]; ok {
			return v1
		}
		return rest
	}
	if c := r.CPU; c != nil {
		cpu := *c
		cpu.Cpus, cpu.Mems = "", ""
		if cpu != (specs.LinuxCPU{}) {
			pick("cpu").CPU = &cpu
		}
		if c.Cpus != "" || c.Mems != "" {
			dst := pick("cpuset")
			if dst.CPU == nil {
				dst.CPU = &specs.LinuxCPU{}
			}
			dst.CPU.Cpus, dst.CPU.Mems = c.Cpus, c.Mems
		}
	}
	if r.Memory != nil {
		pick("memory").Memory = r.Memory
	}
	if r.Pids != nil {
		pick("pids").Pids = r.Pids
	}
	if len(r.Devices) > 0 {
		pick("devices").Devices = r.Devices
	}
	if r.BlockIO != nil {
		pick("blkio").BlockIO = r.BlockIO
	}
	if len(r.HugepageLimits) > 0 {
		pick("hugetlb").HugepageLimits = r.HugepageLimits
	}
	if n := r.Network; n != nil {
		if n.ClassID != nil {
			dst := pick("net_cls")
			dst.Network = &specs.LinuxNetwork{ClassID: n.ClassID}
		}
		if len(n.Priorities) > 0 {
			dst := pick("net_prio")
			if dst.Network == nil {
				dst.Network = &specs.LinuxNetwork{}
			}
			dst.Network.Priorities = n.Priorities
		}
	}
	if len(r.Rdma) > 0 {
		pick("rdma").Rdma = r.Rdma
	}
	if len(r.Unified) > 0 {
		rest.Unified = r.Unified
	}
	empty := func(x *specs.LinuxResources) bool {
		return x.CPU == nil && x.Memory == nil && x.Pids == nil && x.Devices == nil && x.BlockIO == nil &&
			x.HugepageLimits == nil && x.Network == nil && x.Rdma == nil && x.Unified == nil
	}
	if empty(v1) {
		v1 = nil
	}
	if empty(rest) {
		rest = nil
	}
	return v1, rest
}
