package fs2

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
	"github.com/gocontainer/gocontainer/libcgroups/devices"
)

// step is one thing Set does: write a control file, or run an action (the
// device program).
type step struct {
	field string // OCI field, for errors: "linux.resources.memory.limit"
	ctrl  string // controller owning file ("" for cgroup core files)
	file  string
	value string
	// lines writes each line of value on its own: cgroupfs parses one
	// "key value" line per write(2) in nested-keyed files (io.max, rdma.max).
	lines bool
	// optional steps are dropped when the file does not exist.
	optional bool
	// retryLast: on EINVAL, try again after every other step (cpu.max.burst
	// may exceed the old quota until cpu.max is written).
	retryLast bool
	action    func() error
}

// Set applies the OCI resources r to the cgroup with runc's semantics
// (opencontainers/cgroups fs2). A nil r is a no-op; unset fields (nil
// pointers, and the zero values runc treats as unset) leave the current
// limit alone.
//
// Set works in phases so that bad input never half-applies: every value is
// validated first (errors name the OCI field), then the controllers r needs
// are enabled down the path, then every file to be written is checked to
// exist (a missing controller is an error naming it and the field, wrapping
// common.ErrControllerUnavailable), and only then are the files written, in
// runc's order: pids, memory, io, cpu, devices, cpuset, hugetlb, rdma,
// unified. If the kernel refuses a write (EINVAL, EBUSY), the single-value
// files this Set already wrote are restored (see run).
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := m.validate(r); err != nil {
		return err
	}
	m.EnableControllers(common.V2Controllers(r))
	steps, err := m.plan(r)
	if err != nil {
		return err
	}
	m.warnIgnored(r)
	return m.run(steps)
}

// Check does what Set does short of writing limits: it validates r,
// enables the controllers r needs and checks that every file Set would
// write exists. The hybrid manager checks the cgroup2 half this way before
// the v1 half is written, so bad input fails with nothing applied.
func (m *Manager) Check(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if err := m.validate(r); err != nil {
		return err
	}
	m.EnableControllers(common.V2Controllers(r))
	_, err := m.plan(r)
	return err
}

// SetPidsMax writes pids.max for an OCI pids.limit (see common.PidsMaxValue).
func (m *Manager) SetPidsMax(limit int64) error {
	return m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}})
}

// isHugePageSize reports whether s names a page size the way hugetlb
// files do: a number without leading zero, then KB, MB or GB ("2MB"). A
// hand-written check, not a regexp: a package-level regexp.MustCompile
// runs at every start of the binary (0.3 ms here), for any command.
func isHugePageSize(s string) bool {
	n, ok := strings.CutSuffix(s, "B")
	if !ok || len(n) < 2 || n[0] < '1' || n[0] > '9' {
		return false
	}
	switch n[len(n)-1] {
	case 'K', 'M', 'G':
	default:
		return false
	}
	for _, c := range n[1 : len(n)-1] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validate checks every value in r without touching the filesystem.
func (m *Manager) validate(r *specs.LinuxResources) error {
	const res = "linux.resources."
	minusOneOrMore := func(field string, p *int64) error {
		if p != nil && *p < -1 {
			return fmt.Errorf("%s%s: invalid value %d (want -1 for unlimited, or a positive number)", res, field, *p)
		}
		return nil
	}
	if mem := r.Memory; mem != nil {
		for _, f := range []struct {
			name string
			p    *int64
		}{{"memory.limit", mem.Limit}, {"memory.reservation", mem.Reservation}, {"memory.swap", mem.Swap}} {
			if err := minusOneOrMore(f.name, f.p); err != nil {
				return err
			}
		}
		if mem.Swap != nil && mem.Limit != nil {
			if _, err := common.MemorySwapToV2(*mem.Swap, *mem.Limit); err != nil {
				return fmt.Errorf("%smemory.swap: %w", res, err)
			}
		}
	}
	if c := r.CPU; c != nil {
		// Any negative cpu.quota means unlimited ("max"), as runc writes it
		// on v2 and as the v1 kernel reads cfs_quota_us: no check here.
		// Bounds of kernel/sched/core.c tg_set_cfs_bandwidth: a quota of
		// at least 1ms, a period from 1ms to 1s.
		if c.Quota != nil && *c.Quota > 0 && *c.Quota < 1000 {
			return fmt.Errorf("%scpu.quota: %d is below the kernel's minimum of 1000 (1ms)", res, *c.Quota)
		}
		if c.Period != nil && *c.Period != 0 && (*c.Period < 1000 || *c.Period > 1000000) {
			return fmt.Errorf("%scpu.period: %d out of range (want 1000 to 1000000 microseconds)", res, *c.Period)
		}
		if c.Idle != nil && *c.Idle != 0 && *c.Idle != 1 {
			return fmt.Errorf("%scpu.idle: invalid value %d (want 0 or 1)", res, *c.Idle)
		}
		if (c.RealtimeRuntime != nil && *c.RealtimeRuntime != 0) || (c.RealtimePeriod != nil && *c.RealtimePeriod != 0) {
			return fmt.Errorf("%scpu.realtimeRuntime/realtimePeriod: cgroup v2 has no realtime cpu limits: %w", res, errors.ErrUnsupported)
		}
		for _, f := range []struct{ name, v string }{{"cpu.cpus", c.Cpus}, {"cpu.mems", c.Mems}} {
			if f.v == "" {
				continue
			}
			if err := common.CheckCPUList(f.v); err != nil {
				return fmt.Errorf("%s%s: %w", res, f.name, err)
			}
		}
	}
	if b := r.BlockIO; b != nil {
		if b.Weight != nil && *b.Weight != 0 && (*b.Weight < 10 || *b.Weight > 1000) {
			return fmt.Errorf("%sblockIO.weight: %d out of range (want 10 to 1000)", res, *b.Weight)
		}
		for i, d := range b.WeightDevice {
			field := fmt.Sprintf("%sblockIO.weightDevice[%d]", res, i)
			if d.Major < 0 || d.Minor < 0 {
				return fmt.Errorf("%s: invalid device %d:%d", field, d.Major, d.Minor)
			}
			if d.Weight != nil && (*d.Weight < 10 || *d.Weight > 1000) {
				return fmt.Errorf("%s.weight: %d out of range (want 10 to 1000)", field, *d.Weight)
			}
		}
		for name, list := range throttles(b) {
			for i, d := range list {
				if d.Major < 0 || d.Minor < 0 {
					return fmt.Errorf("%sblockIO.%s[%d]: invalid device %d:%d", res, name, i, d.Major, d.Minor)
				}
			}
		}
	}
	for i, h := range r.HugepageLimits {
		if !isHugePageSize(h.Pagesize) {
			return fmt.Errorf("%shugepageLimits[%d].pageSize: invalid page size %q (want e.g. 2MB or 1GB)", res, i, h.Pagesize)
		}
	}
	for dev := range r.Rdma {
		if dev == "" || strings.ContainsAny(dev, " \t\n/") {
			return fmt.Errorf("%srdma: invalid device name %q", res, dev)
		}
	}
	for k := range r.Unified {
		if err := checkUnifiedKey(k); err != nil {
			return fmt.Errorf("%sunified[%q]: %w", res, k, err)
		}
	}
	if len(r.Devices) > 0 {
		if _, err := devices.NewFilter(r.Devices); err != nil {
			return err
		}
	}
	return nil
}

// checkUnifiedKey accepts "controller.file" names only: a key is a control
// file directly in the container's cgroup, never a path (runc refuses "/";
// ".." and dot files would step out of the cgroup's own files).
func checkUnifiedKey(k string) error {
	if strings.Contains(k, "/") || strings.Contains(k, "..") {
		return errors.New("must be a control file name, without \"/\" or \"..\"")
	}
	c, p, ok := strings.Cut(k, ".")
	if !ok || c == "" || p == "" {
		return errors.New("must have the form CONTROLLER.PARAMETER (e.g. memory.high)")
	}
	return nil
}

// throttles maps the OCI blockIO throttle fields to io.max keys.
func throttles(b *specs.LinuxBlockIO) map[string][]specs.LinuxThrottleDevice {
	return map[string][]specs.LinuxThrottleDevice{
		"throttleReadBpsDevice":   b.ThrottleReadBpsDevice,
		"throttleWriteBpsDevice":  b.ThrottleWriteBpsDevice,
		"throttleReadIOPSDevice":  b.ThrottleReadIOPSDevice,
		"throttleWriteIOPSDevice": b.ThrottleWriteIOPSDevice,
	}
}

// numOrMax formats a limit: -1 is "max".
func numOrMax(v int64) string {
	if v == -1 {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}

// plan turns r into steps, reading current values where a partial update
// needs them, and checks that every file to be written exists.
func (m *Manager) plan(r *specs.LinuxResources) ([]step, error) {
	const res = "linux.resources."
	var steps []step
	add := func(s step) { steps = append(steps, s) }

	if limit, ok := common.PidsLimit(r); ok {
		add(step{field: res + "pids.limit", ctrl: "pids", file: "pids.max", value: common.PidsMaxValue(limit)})
	}

	if mem := r.Memory; mem != nil {
		mss, err := m.planMemory(mem)
		if err != nil {
			return nil, err
		}
		steps = append(steps, mss...)
	}

	if b := r.BlockIO; b != nil {
		iss, err := m.planIO(b)
		if err != nil {
			return nil, err
		}
		steps = append(steps, iss...)
	}

	if c := r.CPU; c != nil {
		css, err := m.planCPU(c)
		if err != nil {
			return nil, err
		}
		steps = append(steps, css...)
	}

	if len(r.Devices) > 0 {
		rules := slices.Clone(r.Devices)
		add(step{field: res + "devices", action: func() error {
			if err := devices.Apply(m.dir, rules, m.log); err != nil {
				return fmt.Errorf("set %sdevices: %w", res, err)
			}
			return nil
		}})
	}

	if c := r.CPU; c != nil {
		if c.Cpus != "" {
			add(step{field: res + "cpu.cpus", ctrl: "cpuset", file: "cpuset.cpus", value: c.Cpus})
		}
		if c.Mems != "" {
			add(step{field: res + "cpu.mems", ctrl: "cpuset", file: "cpuset.mems", value: c.Mems})
		}
	}

	for i, h := range r.HugepageLimits {
		field := fmt.Sprintf("%shugepageLimits[%d]", res, i)
		v := strconv.FormatUint(h.Limit, 10)
		add(step{field: field, ctrl: "hugetlb", file: "hugetlb." + h.Pagesize + ".max", value: v})
		// Reservations (Linux 5.7) are limited too, as the OCI field's
		// doc says ("default to reservation limits if supported"):
		// otherwise a mapping could reserve more pages than it may fault.
		add(step{field: field, ctrl: "hugetlb", file: "hugetlb." + h.Pagesize + ".rsvd.max", value: v, optional: true})
	}

	for _, dev := range slices.Sorted(maps.Keys(r.Rdma)) {
		l := r.Rdma[dev]
		line := dev
		if l.HcaHandles != nil {
			line += " hca_handle=" + strconv.FormatUint(uint64(*l.HcaHandles), 10)
		}
		if l.HcaObjects != nil {
			line += " hca_object=" + strconv.FormatUint(uint64(*l.HcaObjects), 10)
		}
		if line != dev {
			add(step{field: res + "rdma[" + strconv.Quote(dev) + "]", ctrl: "rdma", file: "rdma.max", value: line})
		}
	}

	for _, k := range slices.Sorted(maps.Keys(r.Unified)) {
		c, _, _ := strings.Cut(k, ".")
		if c == "cgroup" {
			c = ""
		}
		add(step{field: res + "unified[" + strconv.Quote(k) + "]", ctrl: c, file: k, value: r.Unified[k], lines: true})
	}

	return m.checkFiles(steps)
}

func (m *Manager) planMemory(mem *specs.LinuxMemory) ([]step, error) {
	const res = "linux.resources.memory."
	var steps []step
	limit := int64(0) // 0: unset, as runc
	if mem.Limit != nil {
		limit = *mem.Limit
	}
	if mem.CheckBeforeUpdate != nil && *mem.CheckBeforeUpdate && limit > 0 {
		// runc's CheckMemoryUsage: refuse a limit below what the
		// cgroup uses now rather than let the kernel OOM-kill it.
		if cur, err := common.ReadFile(m.dir, "memory.current"); err == nil {
			if used, err := strconv.ParseInt(strings.TrimSpace(cur), 10, 64); err == nil && limit < used {
				return nil, fmt.Errorf("%slimit: %d is below the current usage %d (checkBeforeUpdate)", res, limit, used)
			}
		}
	}
	if mem.Swap != nil && *mem.Swap != 0 {
		swapLimit := limit
		if mem.Limit == nil && *mem.Swap != -1 {
			// A swap-only update: memory.swap is memory+swap, so it
			// is computed against the limit in force.
			cur, err := common.ReadFile(m.dir, "memory.max")
			if err != nil {
				return nil, m.missing(res+"swap", "memory", "memory.max", err)
			}
			if s := strings.TrimSpace(cur); s == "max" {
				swapLimit = -1
			} else if swapLimit, err = strconv.ParseInt(s, 10, 64); err != nil {
				return nil, fmt.Errorf("%sswap: parse %s: %w", res, filepath.Join(m.dir, "memory.max"), err)
			}
		}
		swap, err := common.MemorySwapToV2(*mem.Swap, swapLimit)
		if err != nil {
			return nil, fmt.Errorf("%sswap: %w", res, err)
		}
		// Without swap accounting there is no memory.swap.max: asking
		// for "no swap" or "unlimited swap" is then fine (runc).
		v := numOrMax(swap)
		steps = append(steps, step{field: res + "swap", ctrl: "memory", file: "memory.swap.max", value: v, optional: swap == -1 || swap == 0})
	} else if limit == -1 {
		// runc: an unlimited memory with swap unset (nil or 0) is
		// unlimited swap.
		steps = append(steps, step{field: res + "swap", ctrl: "memory", file: "memory.swap.max", value: "max", optional: true})
	}
	if limit != 0 {
		steps = append(steps, step{field: res + "limit", ctrl: "memory", file: "memory.max", value: numOrMax(limit)})
	}
	if mem.Reservation != nil && *mem.Reservation != 0 {
		steps = append(steps, step{field: res + "reservation", ctrl: "memory", file: "memory.low", value: numOrMax(*mem.Reservation)})
	}
	return steps, nil
}

func (m *Manager) planIO(b *specs.LinuxBlockIO) ([]step, error) {
	const res = "linux.resources.blockIO."
	var steps []step
	hasBFQ := fileExists(m.dir, "io.bfq.weight")
	hasWeight := fileExists(m.dir, "io.weight")
	if b.Weight != nil && *b.Weight != 0 {
		w := *b.Weight
		if !hasBFQ && !hasWeight {
			return nil, m.missing(res+"weight", "io", "io.weight", os.ErrNotExist)
		}
		// Both files when both exist: devices on the BFQ scheduler obey
		// io.bfq.weight (blkio's 10..1000 scale as is), devices under
		// iocost obey io.weight (1..10000, converted).
		if hasBFQ {
			steps = append(steps, step{field: res + "weight", ctrl: "io", file: "io.bfq.weight", value: strconv.FormatUint(uint64(w), 10)})
		}
		if hasWeight {
			steps = append(steps, step{field: res + "weight", ctrl: "io", file: "io.weight", value: strconv.FormatUint(common.BlkioWeightToIOWeight(w), 10)})
		}
	}
	if len(b.WeightDevice) > 0 {
		// Per-device weights go to io.bfq.weight ("MAJ:MIN WEIGHT",
		// Linux 5.4+, recognized by its "default N" first line), as in
		// runc. Not to io.weight: a per-device line there starts iocost
		// on that disk, a host-wide change.
		if bfqPerDevice(m.dir) {
			for i, d := range b.WeightDevice {
				if d.Weight == nil {
					continue
				}
				steps = append(steps, step{field: fmt.Sprintf("%sweightDevice[%d]", res, i), ctrl: "io", file: "io.bfq.weight",
					value: fmt.Sprintf("%d:%d %d", d.Major, d.Minor, *d.Weight)})
			}
		} else {
			// runc drops them silently; say so.
			m.log.Warn("cgroup v2: linux.resources.blockIO.weightDevice ignored: no per-device io.bfq.weight (BFQ scheduler with Linux 5.4+)",
				slog.String("dir", m.dir))
		}
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		m.log.Warn("cgroup v2: linux.resources.blockIO.leafWeight ignored: cgroup v2 has no leaf weight")
	}
	for _, t := range []struct {
		name, key string
		list      []specs.LinuxThrottleDevice
	}{
		{"throttleReadBpsDevice", "rbps", b.ThrottleReadBpsDevice},
		{"throttleWriteBpsDevice", "wbps", b.ThrottleWriteBpsDevice},
		{"throttleReadIOPSDevice", "riops", b.ThrottleReadIOPSDevice},
		{"throttleWriteIOPSDevice", "wiops", b.ThrottleWriteIOPSDevice},
	} {
		for i, d := range t.list {
			// A v1 throttle of 0 removes the limit; in io.max that is "max".
			rate := "max"
			if d.Rate != 0 {
				rate = strconv.FormatUint(d.Rate, 10)
			}
			steps = append(steps, step{field: fmt.Sprintf("%s%s[%d]", res, t.name, i), ctrl: "io", file: "io.max",
				value: fmt.Sprintf("%d:%d %s=%s", d.Major, d.Minor, t.key, rate)})
		}
	}
	return steps, nil
}

// bfqPerDevice reports whether io.bfq.weight takes per-device weights: such
// kernels (5.4+, commit 795fe54c2a82) show "default N" rather than a bare
// number.
func bfqPerDevice(dir string) bool {
	s, err := common.ReadFile(dir, "io.bfq.weight")
	if err != nil {
		return false
	}
	_, err = strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	return err != nil
}

func (m *Manager) planCPU(c *specs.LinuxCPU) ([]step, error) {
	const res = "linux.resources.cpu."
	var steps []step
	idle := c.Idle != nil && *c.Idle == 1
	if c.Idle != nil {
		steps = append(steps, step{field: res + "idle", ctrl: "cpu", file: "cpu.idle", value: strconv.FormatInt(*c.Idle, 10)})
	}
	if c.Shares != nil && *c.Shares != 0 {
		if idle {
			// The kernel refuses a weight for an idle group (EINVAL,
			// sched_group_set_shares): idle means minimum weight.
			m.log.Debug("cgroup v2: cpu.weight not written: cpu.idle is 1", slog.String("dir", m.dir))
		} else {
			steps = append(steps, step{field: res + "shares", ctrl: "cpu", file: "cpu.weight", value: strconv.FormatUint(common.CPUSharesToWeight(*c.Shares), 10)})
		}
	}
	if c.Burst != nil {
		// Written before cpu.max (a lower quota may be below the old
		// burst), and again after it if the kernel refuses it first
		// (a higher burst may be above the old quota), as runc does.
		steps = append(steps, step{field: res + "burst", ctrl: "cpu", file: "cpu.max.burst", value: strconv.FormatUint(*c.Burst, 10), retryLast: true})
	}
	quotaSet := c.Quota != nil && *c.Quota != 0
	periodSet := c.Period != nil && *c.Period != 0
	if quotaSet || periodSet {
		var quota string
		if quotaSet {
			quota = numOrMax(max(*c.Quota, -1))
		} else {
			// Period only: keep the quota in force (at creation that is
			// "max", which is what runc writes; on update runc re-sends
			// the saved quota, and this is the same).
			cur, err := common.ReadFile(m.dir, "cpu.max")
			if err != nil {
				return nil, m.missing(res+"period", "cpu", "cpu.max", err)
			}
			if f := strings.Fields(cur); len(f) > 0 {
				quota = f[0]
			} else {
				quota = "max"
			}
		}
		v := quota
		if periodSet {
			v += " " + strconv.FormatUint(*c.Period, 10)
		}
		steps = append(steps, step{field: res + "quota/period", ctrl: "cpu", file: "cpu.max", value: v})
	}
	return steps, nil
}

// warnIgnored logs the fields cgroup v2 has no file for. runc ignores them
// on v2 too; they are not errors so that a config written for both
// hierarchies still runs.
func (m *Manager) warnIgnored(r *specs.LinuxResources) {
	var ignored []string
	if mem := r.Memory; mem != nil {
		if mem.Kernel != nil && *mem.Kernel != 0 {
			ignored = append(ignored, "memory.kernel")
		}
		if mem.KernelTCP != nil && *mem.KernelTCP != 0 {
			ignored = append(ignored, "memory.kernelTCP")
		}
		if mem.Swappiness != nil {
			ignored = append(ignored, "memory.swappiness")
		}
		if mem.DisableOOMKiller != nil && *mem.DisableOOMKiller {
			ignored = append(ignored, "memory.disableOOMKiller")
		}
	}
	if n := r.Network; n != nil && (n.ClassID != nil || len(n.Priorities) > 0) {
		ignored = append(ignored, "network")
	}
	if len(ignored) > 0 {
		m.log.Warn("cgroup v2: resources ignored: cgroup v2 has no such limits", slog.Any("fields", ignored), slog.String("dir", m.dir))
	}
}

func fileExists(dir, file string) bool {
	_, err := os.Lstat(filepath.Join(dir, file))
	return err == nil
}

// checkFiles drops optional steps whose file is missing and fails on the
// first required one that is missing, before anything is written.
func (m *Manager) checkFiles(steps []step) ([]step, error) {
	if len(steps) > 0 && !common.Exists(m.dir) {
		return nil, fmt.Errorf("set %s: %s: %w", steps[0].field, m.dir, common.ErrNotExist)
	}
	out := steps[:0]
	for _, s := range steps {
		if s.action == nil && !fileExists(m.dir, s.file) {
			if s.optional {
				m.log.Debug("cgroup v2: optional file missing, skipped", slog.String("file", s.file), slog.String("dir", m.dir))
				continue
			}
			return nil, m.missing(s.field, s.ctrl, s.file, os.ErrNotExist)
		}
		out = append(out, s)
	}
	return out, nil
}

// missing explains a control file that is not there: the host's cgroup2
// tree lacks the controller, or it is not enabled for this cgroup, or the
// controller does not have that file (a page size the host lacks).
func (m *Manager) missing(field, ctrl, file string, err error) error {
	p := filepath.Join(m.dir, file)
	if ctrl == "" {
		return fmt.Errorf("set %s: %s: %w", field, p, err)
	}
	root, _ := common.ReadFile(m.mount, "cgroup.controllers")
	if !slices.Contains(strings.Fields(root), ctrl) {
		return fmt.Errorf("set %s: the host's cgroup2 tree (%s) has no %q controller: %w: %w", field, m.mount, ctrl, common.ErrControllerUnavailable, err)
	}
	own, _ := common.ReadFile(m.dir, "cgroup.controllers")
	if !slices.Contains(strings.Fields(own), ctrl) {
		return fmt.Errorf("set %s: %q controller not enabled for %s (cgroup.subtree_control of an ancestor): %w: %w", field, ctrl, m.dir, common.ErrControllerUnavailable, err)
	}
	return fmt.Errorf("set %s: %s: %w", field, p, err)
}

// run performs the steps in order. If one fails (the kernel can refuse a
// value no validation can predict, e.g. cpuset.cpus naming a CPU the
// parent does not have), the single-value files already written are put
// back as they were, in reverse order, so a failed update leaves the old
// limits. Nested-keyed files (io.max, rdma.max, unified multi-line values)
// and the device program are not rolled back.
func (m *Manager) run(steps []step) (err error) {
	var undo []step
	saved := map[string]bool{}
	defer func() {
		if err == nil {
			return
		}
		for _, u := range slices.Backward(undo) {
			if rerr := common.WriteFile(m.dir, u.file, u.value); rerr != nil {
				m.log.Warn("cgroup v2: cannot restore a limit after a failed update", slog.String("file", u.file), slog.Any("error", rerr))
			} else {
				m.log.Debug("cgroup v2: restored", slog.String("file", u.file), slog.String("value", u.value))
			}
		}
	}()
	save := func(s step) {
		if s.action != nil || s.lines || saved[s.file] || s.file == "io.max" || s.file == "rdma.max" {
			return
		}
		saved[s.file] = true
		old, err := common.ReadFile(m.dir, s.file)
		if old = strings.TrimSpace(old); err != nil || strings.Contains(old, "\n") {
			return
		}
		undo = append(undo, step{file: s.file, value: old})
	}
	var retry []step
	for _, s := range steps {
		save(s)
		err := m.do(s)
		if err != nil && s.retryLast && errors.Is(err, unix.EINVAL) {
			m.log.Debug("cgroup v2: write refused, retrying after the others", slog.String("file", s.file), slog.Any("error", err))
			retry = append(retry, s)
			continue
		}
		if err != nil {
			return err
		}
	}
	for _, s := range retry {
		if err := m.do(s); err != nil {
			return err
		}
	}
	return nil
}

func (m *Manager) do(s step) error {
	if s.action != nil {
		return s.action()
	}
	vals := []string{s.value}
	if s.lines {
		vals = strings.Split(strings.TrimRight(s.value, "\n"), "\n")
	}
	for _, v := range vals {
		m.log.Debug("cgroup v2: write", slog.String("dir", m.dir), slog.String("file", s.file), slog.String("value", v))
		if err := common.WriteFile(m.dir, s.file, v); err != nil {
			return fmt.Errorf("set %s: %w", s.field, err)
		}
	}
	return nil
}
