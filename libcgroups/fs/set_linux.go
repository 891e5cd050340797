package fs

//lint:file-ignore SA1019 linux.resources.memory.kernel and kernelTCP are deprecated but still appear in configs: they are read to warn that this kernel cannot apply them, as runc does.

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups/common"
)

// Set applies the OCI resources r to the container's cgroup, with runc's
// semantics (a zero value means "leave unchanged", -1 "unlimited"). A nil
// r is a no-op.
//
// Set works in two phases so that bad input never half-applies:
//  1. check: every value is validated (ErrInvalidResources), every
//     requested group must have its controller mounted
//     (common.ErrControllerUnavailable naming the controller and field),
//     the optional kernel files a value needs must exist, and the new
//     memory/swap pair must fit the current one. Nothing is written yet.
//  2. write, controller by controller in runc's order: cpuset, devices,
//     memory, cpu, pids, blkio, hugetlb, net_cls, net_prio, rdma.
//
// A group whose fields are all zero is not a request, so it needs no
// controller. cpuacct and perf_event have nothing to set; the freezer is
// driven by Freeze. Documented warnings instead of errors, as runc: a
// cpu.burst without cpu.cfs_burst_us (kernel < 5.14), kernel/kernelTCP
// memory limits the kernel no longer has (memory.kmem.* removed or
// refusing writes since 5.16/6.x), useHierarchy without
// memory.use_hierarchy. The kernel can still refuse a value after the
// checks (a cpuset outside the parent's, a device the parent denies): the
// error names the file and value, and the groups written before it stay.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := validateResources(r); err != nil {
		return err
	}
	p, err := m.check(r)
	if err != nil {
		return err
	}
	for _, step := range []func(*specs.LinuxResources, *setPlan) error{
		m.setCpuset, m.setDevices, m.setMemory, m.setCPU, m.setPids,
		m.setBlkio, m.setHugetlb, m.setNetwork, m.setRdma,
	} {
		if err := step(r, p); err != nil {
			return err
		}
	}
	return nil
}

// setPlan is what check found out about the host for the writes.
type setPlan struct {
	dirs map[string]string // controller -> dir, for the requested groups
	// files that were looked for and are missing (optional kernel files).
	missing map[string]bool
	// blkio weight files: blkio.bfq.weight* when BFQ is the scheduler
	// (the only proportional one since 5.0), else blkio.weight*.
	weightFile, weightDeviceFile string
}

func (p *setPlan) has(dir, file string) bool { return !p.missing[filepath.Join(dir, file)] }

// request is one requested group: its controller and first set field.
type request struct{ ctrl, field string }

func requests(r *specs.LinuxResources) []request {
	var out []request
	add := func(ctrl, field string) {
		if field != "" {
			out = append(out, request{ctrl, "linux.resources." + field})
		}
	}
	if c := r.CPU; c != nil {
		add("cpuset", first(c.Cpus != "", "cpu.cpus", c.Mems != "", "cpu.mems"))
		add("cpu", first(nz(c.Shares), "cpu.shares", nz(c.Quota), "cpu.quota", nz(c.Period), "cpu.period",
			c.Burst != nil, "cpu.burst", nz(c.RealtimeRuntime), "cpu.realtimeRuntime",
			nz(c.RealtimePeriod), "cpu.realtimePeriod", c.Idle != nil, "cpu.idle"))
	}
	if len(r.Devices) > 0 {
		add("devices", "devices")
	}
	if mem := r.Memory; mem != nil {
		add("memory", first(nz(mem.Limit), "memory.limit", nz(mem.Reservation), "memory.reservation",
			nz(mem.Swap), "memory.swap", nz(mem.Kernel), "memory.kernel", nz(mem.KernelTCP), "memory.kernelTCP",
			mem.Swappiness != nil && int64(*mem.Swappiness) != -1, "memory.swappiness",
			isTrue(mem.DisableOOMKiller), "memory.disableOOMKiller", isTrue(mem.UseHierarchy), "memory.useHierarchy"))
	}
	if pl := r.Pids; pl != nil && pl.Limit != nil {
		add("pids", "pids.limit")
	}
	if b := r.BlockIO; b != nil {
		add("blkio", first(nz(b.Weight), "blockIO.weight", nz(b.LeafWeight), "blockIO.leafWeight",
			len(b.WeightDevice) > 0, "blockIO.weightDevice",
			len(b.ThrottleReadBpsDevice) > 0, "blockIO.throttleReadBpsDevice",
			len(b.ThrottleWriteBpsDevice) > 0, "blockIO.throttleWriteBpsDevice",
			len(b.ThrottleReadIOPSDevice) > 0, "blockIO.throttleReadIOPSDevice",
			len(b.ThrottleWriteIOPSDevice) > 0, "blockIO.throttleWriteIOPSDevice"))
	}
	if len(r.HugepageLimits) > 0 {
		add("hugetlb", "hugepageLimits")
	}
	if n := r.Network; n != nil {
		add("net_cls", first(nz(n.ClassID), "network.classID"))
		add("net_prio", first(len(n.Priorities) > 0, "network.priorities"))
	}
	if len(r.Rdma) > 0 {
		add("rdma", "rdma")
	}
	return out
}

// first returns the name after the first true condition; args alternate
// bool, string.
func first(args ...any) string {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i].(bool) {
			return args[i+1].(string)
		}
	}
	return ""
}

// nz reports whether an optional number is set to something other than 0
// (runc treats 0 as "not set" for most resource values).
func nz[T int64 | uint64 | uint32 | uint16](p *T) bool { return p != nil && *p != 0 }

func isTrue(b *bool) bool { return b != nil && *b }

// check is phase 1 of Set: everything that can be known before writing.
func (m *Manager) check(r *specs.LinuxResources) (*setPlan, error) {
	p := &setPlan{dirs: map[string]string{}, missing: map[string]bool{},
		weightFile: "blkio.weight", weightDeviceFile: "blkio.weight_device"}
	for _, rq := range requests(r) {
		dir, ok := m.paths[rq.ctrl]
		if !ok {
			return nil, fmt.Errorf("%s: %s controller not mounted under %s: %w", rq.field, rq.ctrl, m.host.Root, common.ErrControllerUnavailable)
		}
		p.dirs[rq.ctrl] = dir
	}
	// Explicit "false" booleans are zero values, not requests, but are
	// applied where memory is mounted so an update can undo a "true".
	if mem := r.Memory; mem != nil && (mem.DisableOOMKiller != nil || mem.UseHierarchy != nil) {
		if dir, ok := m.paths["memory"]; ok {
			p.dirs["memory"] = dir
		}
	}
	// Optional files are only looked for in a cgroup that exists: for a
	// missing one, the first write fails naming the path.
	exists := func(ctrl string) (string, bool) {
		dir, ok := p.dirs[ctrl]
		return dir, ok && common.Exists(dir)
	}
	need := func(dir, file string) bool {
		if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			p.missing[filepath.Join(dir, file)] = true
			return false
		}
		return true
	}
	unavailable := func(field, dir, file, why string) error {
		return fmt.Errorf("%s: %s: no %s: %w", field, why, filepath.Join(dir, file), common.ErrControllerUnavailable)
	}
	if dir, ok := exists("cpu"); ok {
		c := r.CPU
		if rt := first(nz(c.RealtimeRuntime), "realtimeRuntime", nz(c.RealtimePeriod), "realtimePeriod"); rt != "" && !need(dir, "cpu.rt_runtime_us") {
			return nil, unavailable("linux.resources.cpu."+rt, dir, "cpu.rt_runtime_us", "kernel built without CONFIG_RT_GROUP_SCHED")
		}
		if c.Idle != nil && !need(dir, "cpu.idle") {
			return nil, unavailable("linux.resources.cpu.idle", dir, "cpu.idle", "kernel older than 5.15")
		}
		if c.Burst != nil {
			need(dir, "cpu.cfs_burst_us")
		}
	}
	if dir, ok := exists("memory"); ok {
		if err := m.checkMemory(r.Memory, dir, need); err != nil {
			return nil, err
		}
	}
	if dir, ok := exists("blkio"); ok {
		b := r.BlockIO
		if need(dir, "blkio.bfq.weight") {
			p.weightFile, p.weightDeviceFile = "blkio.bfq.weight", "blkio.bfq.weight_device"
		}
		wantWeight, wantLeaf := nz(b.Weight), nz(b.LeafWeight)
		wantDevWeight, wantDevLeaf := false, false
		for _, wd := range b.WeightDevice {
			wantDevWeight = wantDevWeight || nz(wd.Weight)
			wantDevLeaf = wantDevLeaf || nz(wd.LeafWeight)
		}
		const noSched = "no proportional-weight io scheduler (BFQ or CFQ) for the blkio controller"
		for _, x := range []struct {
			want        bool
			field, file string
			why         string
		}{
			{wantWeight, "weight", p.weightFile, noSched},
			{wantDevWeight, "weightDevice", p.weightDeviceFile, noSched},
			{wantLeaf, "leafWeight", "blkio.leaf_weight", "leaf weights were CFQ-only (removed in Linux 5.0)"},
			{wantDevLeaf, "weightDevice.leafWeight", "blkio.leaf_weight_device", "leaf weights were CFQ-only (removed in Linux 5.0)"},
		} {
			if x.want && !need(dir, x.file) {
				return nil, unavailable("linux.resources.blockIO."+x.field, dir, x.file, x.why)
			}
		}
	}
	if dir, ok := exists("hugetlb"); ok {
		for i, h := range r.HugepageLimits {
			if f := "hugetlb." + h.Pagesize + ".limit_in_bytes"; !need(dir, f) {
				return nil, unavailable(fmt.Sprintf("linux.resources.hugepageLimits[%d].pageSize", i), dir, f,
					"page size "+h.Pagesize+" not supported by this kernel")
			}
			need(dir, "hugetlb."+h.Pagesize+".rsvd.limit_in_bytes")
		}
	}
	return p, nil
}

// checkMemory looks for the optional memory files and checks the new
// limit and memory+swap against each other and the current values (the
// kernel keeps memsw >= limit at all times).
func (m *Manager) checkMemory(mem *specs.LinuxMemory, dir string, need func(dir, file string) bool) error {
	hasMemsw := need(dir, "memory.memsw.limit_in_bytes")
	limit, swap := val(mem.Limit), val(mem.Swap)
	if swap > 0 && !hasMemsw {
		return fmt.Errorf("linux.resources.memory.swap: swap accounting is off (no %s; boot with swapaccount=1): %w",
			filepath.Join(dir, "memory.memsw.limit_in_bytes"), common.ErrControllerUnavailable)
	}
	if nz(mem.Kernel) {
		need(dir, "memory.kmem.limit_in_bytes")
	}
	if nz(mem.KernelTCP) {
		need(dir, "memory.kmem.tcp.limit_in_bytes")
	}
	if mem.UseHierarchy != nil {
		need(dir, "memory.use_hierarchy")
	}
	if swap > 0 && limit == 0 {
		cur, err := readUint(dir, "memory.limit_in_bytes")
		if err != nil {
			return fmt.Errorf("linux.resources.memory.swap: %w", err)
		}
		if pageDown(swap) < cur {
			return invalid("linux.resources.memory.swap", "%d is below the current memory limit %d (swap is memory+swap, it must be >= limit)", swap, cur)
		}
	}
	if limit > 0 && swap == 0 && hasMemsw {
		cur, err := readUint(dir, "memory.memsw.limit_in_bytes")
		if err != nil {
			return fmt.Errorf("linux.resources.memory.limit: %w", err)
		}
		if pageDown(limit) > cur {
			return invalid("linux.resources.memory.limit", "%d is above the current memory+swap limit %d: set linux.resources.memory.swap too", limit, cur)
		}
	}
	return nil
}

// pageDown rounds a byte limit down to whole pages, as the kernel does
// when it stores one, so comparisons match what it will check.
func pageDown(v int64) uint64 {
	ps := uint64(os.Getpagesize())
	return uint64(v) / ps * ps
}

func readUint(dir, file string) (uint64, error) {
	s, err := common.ReadFile(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := common.ParseUintOrMax(s)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", filepath.Join(dir, file), err)
	}
	return v, nil
}

// write sets one control file; the error names the OCI field, the value
// and the file.
func (m *Manager) write(dir, file, value, field string) error {
	m.log.Debug("cgroup v1: set", slog.String("file", filepath.Join(dir, file)), slog.String("value", value))
	if err := m.writeFile(dir, file, value); err != nil {
		return fmt.Errorf("set %s: %w", field, err)
	}
	return nil
}

func (m *Manager) setCpuset(r *specs.LinuxResources, p *setPlan) error {
	dir, ok := p.dirs["cpuset"]
	if !ok {
		return nil
	}
	if err := m.resolve(); err != nil { // for noprefix
		return err
	}
	cpus, mems := "cpuset.cpus", "cpuset.mems"
	if m.dirOf("cpuset").hier.NoPrefix {
		cpus, mems = "cpus", "mems"
	}
	if r.CPU.Cpus != "" {
		if err := m.write(dir, cpus, r.CPU.Cpus, "linux.resources.cpu.cpus"); err != nil {
			return err
		}
	}
	if r.CPU.Mems != "" {
		return m.write(dir, mems, r.CPU.Mems, "linux.resources.cpu.mems")
	}
	return nil
}

// setDevices writes the device rules, unless the cgroup already holds
// exactly the deny-by-default list they produce: an update that repeats
// the container's rules then does not reset the cgroup to deny-all, which
// would briefly take every device away from its running processes.
func (m *Manager) setDevices(r *specs.LinuxResources, p *setPlan) error {
	dir, ok := p.dirs["devices"]
	if !ok {
		return nil
	}
	plan, err := planDevices(r.Devices)
	if err != nil {
		return err
	}
	if !plan.final.allow {
		if s, err := common.ReadFile(dir, "devices.list"); err == nil {
			if cur, known, err := parseDevicesList(s); err == nil && known && cur.equal(plan.final) {
				m.log.Debug("cgroup v1: device rules unchanged", slog.String("dir", dir))
				return nil
			}
		}
	}
	for _, w := range plan.writes {
		if err := m.write(dir, w.file, w.line, "linux.resources.devices"); err != nil {
			return err
		}
	}
	return nil
}

func (m *Manager) setMemory(r *specs.LinuxResources, p *setPlan) error {
	dir, ok := p.dirs["memory"]
	if !ok {
		return nil
	}
	mem := r.Memory
	if err := m.setMemoryAndSwap(dir, val(mem.Limit), val(mem.Swap), p); err != nil {
		return err
	}
	if nz(mem.Reservation) {
		if err := m.write(dir, "memory.soft_limit_in_bytes", strconv.FormatInt(*mem.Reservation, 10), "linux.resources.memory.reservation"); err != nil {
			return err
		}
	}
	for _, k := range []struct {
		v           *int64
		file, field string
	}{
		{mem.Kernel, "memory.kmem.limit_in_bytes", "linux.resources.memory.kernel"},
		{mem.KernelTCP, "memory.kmem.tcp.limit_in_bytes", "linux.resources.memory.kernelTCP"},
	} {
		if !nz(k.v) {
			continue
		}
		err := errNotSupported
		if p.has(dir, k.file) {
			err = m.write(dir, k.file, strconv.FormatInt(*k.v, 10), k.field)
		}
		// Kernel memory accounting cannot be limited on recent kernels
		// (the files are gone or refuse writes with EOPNOTSUPP); runc
		// ignores these values too.
		if errors.Is(err, errNotSupported) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOENT) {
			m.log.Warn("cgroup v1: kernel memory limit not supported by this kernel, ignored",
				slog.String("field", k.field), slog.String("file", filepath.Join(dir, k.file)))
			continue
		}
		if err != nil {
			return err
		}
	}
	if s := mem.Swappiness; s != nil && int64(*s) != -1 {
		if err := m.write(dir, "memory.swappiness", strconv.FormatUint(*s, 10), "linux.resources.memory.swappiness"); err != nil {
			return err
		}
	}
	if b := mem.DisableOOMKiller; b != nil {
		if err := m.write(dir, "memory.oom_control", boolValue(*b), "linux.resources.memory.disableOOMKiller"); err != nil {
			return err
		}
	}
	if b := mem.UseHierarchy; b != nil {
		if !p.has(dir, "memory.use_hierarchy") {
			m.log.Warn("cgroup v1: memory.use_hierarchy not present, useHierarchy ignored", slog.String("dir", dir))
		} else if err := m.write(dir, "memory.use_hierarchy", boolValue(*b), "linux.resources.memory.useHierarchy"); err != nil {
			return err
		}
	}
	return nil
}

var errNotSupported = errors.New("not supported")

func boolValue(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// setMemoryAndSwap writes memory.limit_in_bytes and
// memory.memsw.limit_in_bytes (memory+swap) in the order that keeps
// memsw >= limit after each write, as the kernel demands: when the new
// memsw is above the current limit (or unlimited) it goes first, otherwise
// the limit does. A limit of -1 without a swap value also lifts memsw, as
// runc does, so "unlimited memory" is not capped by an old memsw.
func (m *Manager) setMemoryAndSwap(dir string, limit, swap int64, p *setPlan) error {
	hasMemsw := p.has(dir, "memory.memsw.limit_in_bytes")
	if limit == -1 && swap == 0 && hasMemsw {
		swap = -1
	}
	if swap == -1 && !hasMemsw {
		swap = 0 // unlimited swap is what a host without swap accounting gives
	}
	swapFirst := false
	if limit != 0 && swap != 0 {
		cur, err := readUint(dir, "memory.limit_in_bytes")
		if err != nil {
			return fmt.Errorf("set linux.resources.memory.limit: %w", err)
		}
		swapFirst = swap == -1 || cur < uint64(swap)
	}
	setSwap := func() error {
		if swap == 0 {
			return nil
		}
		return m.write(dir, "memory.memsw.limit_in_bytes", strconv.FormatInt(swap, 10), "linux.resources.memory.swap")
	}
	if swapFirst {
		if err := setSwap(); err != nil {
			return err
		}
	}
	if limit != 0 {
		err := m.write(dir, "memory.limit_in_bytes", strconv.FormatInt(limit, 10), "linux.resources.memory.limit")
		if errors.Is(err, unix.EBUSY) {
			// The kernel could not reclaim enough to get under the new limit.
			usage, _ := readUint(dir, "memory.usage_in_bytes")
			peak, _ := readUint(dir, "memory.max_usage_in_bytes")
			return fmt.Errorf("%w (current usage %d, peak usage %d)", err, usage, peak)
		}
		if err != nil {
			return err
		}
	}
	if !swapFirst {
		return setSwap()
	}
	return nil
}

// setCPU writes the cpu controller's files. The CFS period and quota (and
// the RT period and runtime) are checked by the kernel against each other
// and the parent's bandwidth at every write, so a valid new pair can be
// refused half-way (EINVAL) in one order and accepted in the other: as
// runc, a refused period (or burst) is retried after the quota is written.
func (m *Manager) setCPU(r *specs.LinuxResources, p *setPlan) error {
	dir, ok := p.dirs["cpu"]
	if !ok {
		return nil
	}
	c := r.CPU
	if nz(c.Shares) {
		if err := m.write(dir, "cpu.shares", strconv.FormatUint(*c.Shares, 10), "linux.resources.cpu.shares"); err != nil {
			return err
		}
	}
	quota := nz(c.Quota)
	var retry []func() error
	if nz(c.Period) {
		w := func() error {
			return m.write(dir, "cpu.cfs_period_us", strconv.FormatUint(*c.Period, 10), "linux.resources.cpu.period")
		}
		if err := w(); err != nil {
			if !errors.Is(err, unix.EINVAL) || !quota {
				return err
			}
			retry = append(retry, w)
		}
	}
	if c.Burst != nil {
		w := func() error {
			return m.write(dir, "cpu.cfs_burst_us", strconv.FormatUint(*c.Burst, 10), "linux.resources.cpu.burst")
		}
		if !p.has(dir, "cpu.cfs_burst_us") {
			m.log.Warn("cgroup v1: cpu.cfs_burst_us not present (kernel < 5.14), burst ignored", slog.String("dir", dir))
		} else if err := w(); err != nil {
			if !errors.Is(err, unix.EINVAL) || !quota {
				return err
			}
			retry = append(retry, w)
		}
	}
	if quota {
		if err := m.write(dir, "cpu.cfs_quota_us", strconv.FormatInt(*c.Quota, 10), "linux.resources.cpu.quota"); err != nil {
			return err
		}
		for _, w := range retry {
			if err := w(); err != nil {
				return err
			}
		}
	}
	if c.Idle != nil {
		if err := m.write(dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10), "linux.resources.cpu.idle"); err != nil {
			return err
		}
	}
	return m.setRT(dir, c)
}

func (m *Manager) setRT(dir string, c *specs.LinuxCPU) error {
	runtime := nz(c.RealtimeRuntime)
	var retryPeriod bool
	period := func() error {
		return m.write(dir, "cpu.rt_period_us", strconv.FormatUint(*c.RealtimePeriod, 10), "linux.resources.cpu.realtimePeriod")
	}
	if nz(c.RealtimePeriod) {
		if err := period(); err != nil {
			if !errors.Is(err, unix.EINVAL) || !runtime {
				return err
			}
			retryPeriod = true
		}
	}
	if runtime {
		if err := m.write(dir, "cpu.rt_runtime_us", strconv.FormatInt(*c.RealtimeRuntime, 10), "linux.resources.cpu.realtimeRuntime"); err != nil {
			return err
		}
		if retryPeriod {
			return period()
		}
	}
	return nil
}

func (m *Manager) setPids(r *specs.LinuxResources, p *setPlan) error {
	if _, ok := p.dirs["pids"]; !ok {
		return nil
	}
	return m.SetPidsMax(*r.Pids.Limit)
}

func devNum(d specs.LinuxBlockIODevice) string { return fmt.Sprintf("%d:%d", d.Major, d.Minor) }

func (m *Manager) setBlkio(r *specs.LinuxResources, p *setPlan) error {
	dir, ok := p.dirs["blkio"]
	if !ok {
		return nil
	}
	b := r.BlockIO
	if nz(b.Weight) {
		if err := m.write(dir, p.weightFile, strconv.Itoa(int(*b.Weight)), "linux.resources.blockIO.weight"); err != nil {
			return err
		}
	}
	if nz(b.LeafWeight) {
		if err := m.write(dir, "blkio.leaf_weight", strconv.Itoa(int(*b.LeafWeight)), "linux.resources.blockIO.leafWeight"); err != nil {
			return err
		}
	}
	for i, wd := range b.WeightDevice {
		field := fmt.Sprintf("linux.resources.blockIO.weightDevice[%d]", i)
		if nz(wd.Weight) {
			if err := m.write(dir, p.weightDeviceFile, fmt.Sprintf("%s %d", devNum(wd.LinuxBlockIODevice), *wd.Weight), field+".weight"); err != nil {
				return err
			}
		}
		if nz(wd.LeafWeight) {
			if err := m.write(dir, "blkio.leaf_weight_device", fmt.Sprintf("%s %d", devNum(wd.LinuxBlockIODevice), *wd.LeafWeight), field+".leafWeight"); err != nil {
				return err
			}
		}
	}
	for _, t := range throttles(b) {
		for i, d := range t.devs {
			// A rate of 0 removes the device's limit.
			line := fmt.Sprintf("%s %d", devNum(d.LinuxBlockIODevice), d.Rate)
			if err := m.write(dir, t.file, line, fmt.Sprintf("linux.resources.blockIO.%s[%d]", t.field, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Manager) setHugetlb(r *specs.LinuxResources, p *setPlan) error {
	dir, ok := p.dirs["hugetlb"]
	if !ok {
		return nil
	}
	for i, h := range r.HugepageLimits {
		field := fmt.Sprintf("linux.resources.hugepageLimits[%d].limit", i)
		v := strconv.FormatUint(h.Limit, 10)
		if err := m.write(dir, "hugetlb."+h.Pagesize+".limit_in_bytes", v, field); err != nil {
			return err
		}
		// Reservations (5.7+) are limited to the same value, as runc does,
		// so pages reserved by mmap cannot exceed the limit either.
		if rsvd := "hugetlb." + h.Pagesize + ".rsvd.limit_in_bytes"; p.has(dir, rsvd) {
			if err := m.write(dir, rsvd, v, field); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Manager) setNetwork(r *specs.LinuxResources, p *setPlan) error {
	if dir, ok := p.dirs["net_cls"]; ok {
		if err := m.write(dir, "net_cls.classid", strconv.FormatUint(uint64(*r.Network.ClassID), 10), "linux.resources.network.classID"); err != nil {
			return err
		}
	}
	if dir, ok := p.dirs["net_prio"]; ok {
		for i, prio := range r.Network.Priorities {
			// One "ifname priority" pair per write: the kernel parses one.
			line := prio.Name + " " + strconv.FormatUint(uint64(prio.Priority), 10)
			if err := m.write(dir, "net_prio.ifpriomap", line, fmt.Sprintf("linux.resources.network.priorities[%d]", i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Manager) setRdma(r *specs.LinuxResources, p *setPlan) error {
	dir, ok := p.dirs["rdma"]
	if !ok {
		return nil
	}
	for _, dev := range slices.Sorted(maps.Keys(r.Rdma)) {
		l := r.Rdma[dev]
		var parts []string
		if l.HcaHandles != nil {
			parts = append(parts, "hca_handle="+strconv.FormatUint(uint64(*l.HcaHandles), 10))
		}
		if l.HcaObjects != nil {
			parts = append(parts, "hca_object="+strconv.FormatUint(uint64(*l.HcaObjects), 10))
		}
		if len(parts) == 0 {
			continue
		}
		line := dev + " " + strings.Join(parts, " ")
		if err := m.write(dir, "rdma.max", line, "linux.resources.rdma["+strconv.Quote(dev)+"]"); err != nil {
			return err
		}
	}
	return nil
}
