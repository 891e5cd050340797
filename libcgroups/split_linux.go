package libcgroups

import specs "github.com/opencontainers/runtime-spec/specs-go"

// splitResources divides r between the two halves of a hybrid host: each
// resource group goes to the v1 hierarchies if its v1 controller is mounted
// there (v1Has), else to the cgroup2 tree, where the kernel has it instead
// (a controller is in exactly one of the two). cpu is split into its cpu
// and cpuset parts and network into net_cls and net_prio, as they are
// separate v1 controllers. The unified map names cgroup v2 files, so it
// always goes to v2; device rules go to v1's devices controller when it is
// mounted, else become the v2 eBPF program. A half with nothing to do is
// nil.
func splitResources(r *specs.LinuxResources, v1Has func(controller string) bool) (v1, v2 *specs.LinuxResources) {
	if r == nil {
		return nil, nil
	}
	v1, v2 = &specs.LinuxResources{}, &specs.LinuxResources{}
	pick := func(controller string) *specs.LinuxResources {
		if v1Has(controller) {
			return v1
		}
		return v2
	}
	if len(r.Devices) > 0 {
		pick("devices").Devices = r.Devices
	}
	if r.Memory != nil {
		pick("memory").Memory = r.Memory
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
			} else {
				cp := *dst.CPU
				dst.CPU = &cp
			}
			dst.CPU.Cpus, dst.CPU.Mems = c.Cpus, c.Mems
		}
	}
	if r.Pids != nil {
		pick("pids").Pids = r.Pids
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
		v2.Unified = r.Unified
	}
	if isEmpty(v1) {
		v1 = nil
	}
	if isEmpty(v2) {
		v2 = nil
	}
	return v1, v2
}

func isEmpty(r *specs.LinuxResources) bool {
	return len(r.Devices) == 0 && r.Memory == nil && r.CPU == nil && r.Pids == nil && r.BlockIO == nil &&
		len(r.HugepageLimits) == 0 && r.Network == nil && len(r.Rdma) == 0 && len(r.Unified) == 0
}
