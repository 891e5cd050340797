package fs2

import (
	"fmt"
	"math"

	"github.com/gocontainer/gocontainer/libcgroups/common"
)

// Stats reads the cgroup's usage files (Documentation/admin-guide/
// cgroup-v2.rst). A controller not enabled for the cgroup has no files
// and leaves its part zero, except pids: without the pids controller the
// count of cgroup.procs is reported, with no limit. cpu.stat's usage lines
// are there even without the cpu controller, and so are the PSI files.
// A cgroup that is gone is common.ErrNotExist.
func (m *Manager) Stats() (*common.Stats, error) {
	if !m.Exists() {
		return nil, fmt.Errorf("stats: cgroup %s: %w", m.dir, common.ErrNotExist)
	}
	st := &common.Stats{}
	for _, f := range []func(*common.Stats) error{m.pidsStats, m.cpuStats, m.memoryStats, m.ioStats, m.hugetlbStats} {
		if err := f(st); err != nil {
			return nil, err
		}
	}
	if err := common.ReadStatPSIInto(m.dir, st); err != nil {
		return nil, err
	}
	return st, nil
}

func (m *Manager) pidsStats(st *common.Stats) error {
	_, ok, err := common.ReadStatFile(m.dir, "pids.current")
	if err != nil {
		return err
	}
	if ok {
		return common.ReadPidsStats(m.dir, &st.Pids)
	}
	pids, err := m.Pids()
	if err != nil {
		return err
	}
	st.Pids = common.PidsStats{Current: uint64(len(pids))}
	return nil
}

// cpuStats converts cpu.stat's microseconds to nanoseconds. v2 has no
// per-CPU usage.
func (m *Manager) cpuStats(st *common.Stats) error {
	kv, err := common.ReadStatFlat(m.dir, "cpu.stat")
	if err != nil || kv == nil {
		return err
	}
	st.CPU.Usage.Total = kv["usage_usec"] * 1000
	st.CPU.Usage.User = kv["user_usec"] * 1000
	st.CPU.Usage.Kernel = kv["system_usec"] * 1000
	st.CPU.Throttling = common.CPUThrottling{
		Periods:          kv["nr_periods"],
		ThrottledPeriods: kv["nr_throttled"],
		ThrottledTime:    kv["throttled_usec"] * 1000,
	}
	return nil
}

func (m *Manager) memoryStats(st *common.Stats) error {
	mem := &st.Memory
	stat, err := common.ReadStatFlat(m.dir, "memory.stat")
	if err != nil {
		return err
	}
	if stat == nil {
		// No memory controller; memory.events may still be there on a
		// fake tree, but without memory.stat there is nothing to report.
		return m.memoryEvents(mem)
	}
	mem.Stat = stat
	mem.Cache = stat["file"]
	for _, f := range []struct {
		name  string
		dst   *uint64
		limit bool
	}{
		{"memory.current", &mem.Usage.Usage, false},
		{"memory.peak", &mem.Usage.MaxUsage, false},
		{"memory.max", &mem.Usage.Limit, true},
		{"memory.swap.current", &mem.Swap.Usage, false},
		{"memory.swap.peak", &mem.Swap.MaxUsage, false},
		{"memory.swap.max", &mem.Swap.Limit, true},
	} {
		read := common.ReadStatUint
		if f.limit {
			read = common.ReadStatLimit
		}
		if err := read(m.dir, f.name, f.dst); err != nil {
			return err
		}
	}
	// Swap is reported as memory+swap, as v1's memsw and runc do.
	if _, ok, _ := common.ReadStatFile(m.dir, "memory.swap.current"); ok {
		mem.Swap.Usage += mem.Usage.Usage
		if mem.Swap.MaxUsage != 0 {
			mem.Swap.MaxUsage += mem.Usage.MaxUsage
		}
		mem.Swap.Limit = addSat(mem.Swap.Limit, mem.Usage.Limit)
	}
	return m.memoryEvents(mem)
}

func (m *Manager) memoryEvents(mem *common.MemoryStats) error {
	ev, err := common.ReadStatFlat(m.dir, "memory.events")
	if err != nil || ev == nil {
		return err
	}
	mem.Events = ev
	mem.OOMKill = ev["oom_kill"]
	mem.Usage.Failcnt = ev["max"]
	sev, err := common.ReadStatFlat(m.dir, "memory.swap.events")
	if err != nil {
		return err
	}
	mem.Swap.Failcnt = sev["fail"]
	return nil
}

// addSat adds two limits; "max" (math.MaxUint64) stays max.
func addSat(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

func (m *Manager) ioStats(st *common.Stats) error {
	b, ok, err := common.ReadStatFile(m.dir, "io.stat")
	if err != nil || !ok {
		return err
	}
	nested, err := common.ParseNestedKeyed(b)
	if err != nil {
		return fmt.Errorf("parse %s/io.stat: %w", m.dir, err)
	}
	st.Blkio.IoServiceBytesRecursive, st.Blkio.IoServicedRecursive, err = common.IOStatToBlkio(nested)
	if err != nil {
		return fmt.Errorf("parse %s/io.stat: %w", m.dir, err)
	}
	return nil
}

func (m *Manager) hugetlbStats(st *common.Stats) error {
	sizes, err := common.HugePageSizes(m.dir, "current")
	if err != nil || len(sizes) == 0 {
		return err
	}
	st.Hugetlb = map[string]common.HugetlbStats{}
	for _, size := range sizes {
		var h common.HugetlbStats
		p := "hugetlb." + size + "."
		if err := common.ReadStatUint(m.dir, p+"current", &h.Usage); err != nil {
			return err
		}
		ev, err := common.ReadStatFlat(m.dir, p+"events")
		if err != nil {
			return err
		}
		h.Failcnt = ev["max"]
		st.Hugetlb[size] = h
	}
	return nil
}
