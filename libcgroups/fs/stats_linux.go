package fs

import (
	"fmt"

	"github.com/gocontainer/gocontainer/libcgroups/common"
)

// Stats reads every v1 controller's usage files. A controller that is not
// mounted leaves its part of the result zero, and so does a file the
// kernel does not have (memsw without swap accounting, for instance); a
// container whose cgroup is gone is common.ErrNotExist. PSI is not
// available on v1 (the hybrid manager takes it from the cgroup2 tree).
func (m *Manager) Stats() (*common.Stats, error) {
	if !m.Exists() {
		return nil, fmt.Errorf("stats: cgroup %v: %w", m.primaryOrEmpty(), common.ErrNotExist)
	}
	st := &common.Stats{}
	for _, f := range []func(*common.Stats) error{m.pidsStats, m.cpuStats, m.memoryStats, m.blkioStats, m.hugetlbStats} {
		if err := f(st); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (m *Manager) primaryOrEmpty() string {
	d, _ := m.primary()
	return d
}

func (m *Manager) pidsStats(st *common.Stats) error {
	dir, ok := m.paths["pids"]
	if !ok {
		return nil
	}
	return common.ReadPidsStats(dir, &st.Pids)
}

// cpuStats reads cpuacct (usage) and cpu (throttling). cpuacct.stat is in
// USER_HZ ticks, converted to nanoseconds like the other times.
func (m *Manager) cpuStats(st *common.Stats) error {
	if dir, ok := m.paths["cpuacct"]; ok {
		if err := common.ReadStatUint(dir, "cpuacct.usage", &st.CPU.Usage.Total); err != nil {
			return err
		}
		b, ok, err := common.ReadStatFile(dir, "cpuacct.usage_percpu")
		if err != nil {
			return err
		}
		if ok {
			if st.CPU.Usage.PerCPU, err = common.ParseUintList(b); err != nil {
				return fmt.Errorf("parse %s/cpuacct.usage_percpu: %w", dir, err)
			}
		}
		kv, err := common.ReadStatFlat(dir, "cpuacct.stat")
		if err != nil {
			return err
		}
		const nsPerTick = 1_000_000_000 / common.ClockTicks
		st.CPU.Usage.User = kv["user"] * nsPerTick
		st.CPU.Usage.Kernel = kv["system"] * nsPerTick
	}
	if dir, ok := m.paths["cpu"]; ok {
		kv, err := common.ReadStatFlat(dir, "cpu.stat")
		if err != nil {
			return err
		}
		st.CPU.Throttling = common.CPUThrottling{
			Periods:          kv["nr_periods"],
			ThrottledPeriods: kv["nr_throttled"],
			ThrottledTime:    kv["throttled_time"],
		}
	}
	return nil
}

func (m *Manager) memoryStats(st *common.Stats) error {
	dir, ok := m.paths["memory"]
	if !ok {
		return nil
	}
	mem := &st.Memory
	for _, e := range []struct {
		prefix string
		dst    *common.MemoryEntry
	}{{"memory.", &mem.Usage}, {"memory.memsw.", &mem.Swap}} {
		for _, f := range []struct {
			name string
			dst  *uint64
		}{
			{"usage_in_bytes", &e.dst.Usage},
			{"max_usage_in_bytes", &e.dst.MaxUsage},
			{"limit_in_bytes", &e.dst.Limit},
			{"failcnt", &e.dst.Failcnt},
		} {
			if err := common.ReadStatUint(dir, e.prefix+f.name, f.dst); err != nil {
				return err
			}
		}
	}
	stat, err := common.ReadStatFlat(dir, "memory.stat")
	if err != nil {
		return err
	}
	mem.Stat = stat
	mem.Cache = stat["cache"]
	oc, err := common.ReadStatFlat(dir, "memory.oom_control")
	if err != nil {
		return err
	}
	mem.OOMKill = oc["oom_kill"]
	return nil
}

// blkioStats reads the throttle files, which count I/O under every I/O
// scheduler (the CFQ "blkio.io_*" files are gone since 5.0). The
// _recursive variant includes sub-cgroups; older kernels lack it.
func (m *Manager) blkioStats(st *common.Stats) error {
	dir, ok := m.paths["blkio"]
	if !ok {
		return nil
	}
	for _, f := range []struct {
		name string
		dst  *[]common.BlkioEntry
	}{
		{"blkio.throttle.io_service_bytes", &st.Blkio.IoServiceBytesRecursive},
		{"blkio.throttle.io_serviced", &st.Blkio.IoServicedRecursive},
	} {
		for _, name := range []string{f.name + "_recursive", f.name} {
			b, ok, err := common.ReadStatFile(dir, name)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if *f.dst, err = common.ParseBlkio(b); err != nil {
				return fmt.Errorf("parse %s/%s: %w", dir, name, err)
			}
			break
		}
	}
	return nil
}

func (m *Manager) hugetlbStats(st *common.Stats) error {
	dir, ok := m.paths["hugetlb"]
	if !ok {
		return nil
	}
	sizes, err := common.HugePageSizes(dir, "usage_in_bytes")
	if err != nil {
		return err
	}
	if len(sizes) == 0 {
		return nil
	}
	st.Hugetlb = map[string]common.HugetlbStats{}
	for _, size := range sizes {
		var h common.HugetlbStats
		p := "hugetlb." + size + "."
		for _, f := range []struct {
			name string
			dst  *uint64
		}{{"usage_in_bytes", &h.Usage}, {"max_usage_in_bytes", &h.MaxUsage}, {"failcnt", &h.Failcnt}} {
			if err := common.ReadStatUint(dir, p+f.name, f.dst); err != nil {
				return err
			}
		}
		st.Hugetlb[size] = h
	}
	return nil
}
