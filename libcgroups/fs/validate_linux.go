package fs

//lint:file-ignore SA1019 linux.resources.memory.kernel and kernelTCP are deprecated but still appear in configs: they are read to warn that this kernel cannot apply them, as runc does.

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/libcgroups/common"
)

// ErrInvalidResources is wrapped by Set when a linux.resources value is out
// of range or malformed. Set checks every value before writing any file, so
// a Set that fails with it leaves the old limits in place.
var ErrInvalidResources = errors.New("invalid linux.resources value")

// Kernel limits checked before writing, so the user gets the field name
// instead of a bare EINVAL from the middle of a half-applied update.
const (
	minShares    = 2      // kernel/sched: MIN_SHARES
	maxShares    = 262144 // kernel/sched: MAX_SHARES
	minCFSPeriod = 1000   // 1ms: min_cfs_quota_period, in us
	maxCFSPeriod = 1000000
	minCFSQuota  = 1000 // a quota below 1ms is refused like the period
	minBlkWeight = 10   // runtime-spec: weight is 10-1000
	maxBlkWeight = 1000
)

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", field, fmt.Sprintf(format, args...), ErrInvalidResources)
}

// validateResources checks every value of r that cgroup v1 writes, without
// touching the filesystem.
func validateResources(r *specs.LinuxResources) error {
	if len(r.Unified) > 0 {
		return fmt.Errorf("linux.resources.unified: cgroup v1 hierarchies have no unified files (use them on a cgroup2 host): %w", common.ErrControllerUnavailable)
	}
	var errs []error
	if c := r.CPU; c != nil {
		errs = append(errs, validateCPU(c))
	}
	if mem := r.Memory; mem != nil {
		errs = append(errs, validateMemory(mem))
	}
	if len(r.Devices) > 0 {
		if _, err := planDevices(r.Devices); err != nil {
			errs = append(errs, err)
		}
	}
	if b := r.BlockIO; b != nil {
		errs = append(errs, validateBlockIO(b))
	}
	for i, h := range r.HugepageLimits {
		if !validPageSize(h.Pagesize) {
			errs = append(errs, invalid(fmt.Sprintf("linux.resources.hugepageLimits[%d].pageSize", i),
				"%q is not a page size such as 2MB or 1GB", h.Pagesize))
		}
	}
	if n := r.Network; n != nil {
		for i, p := range n.Priorities {
			if p.Name == "" || strings.ContainsAny(p.Name, " \t\n/") {
				errs = append(errs, invalid(fmt.Sprintf("linux.resources.network.priorities[%d].name", i),
					"%q is not an interface name", p.Name))
			}
		}
	}
	for _, dev := range slices.Sorted(maps.Keys(r.Rdma)) {
		if dev == "" || strings.ContainsAny(dev, " \t\n") {
			errs = append(errs, invalid("linux.resources.rdma", "%q is not an RDMA device name", dev))
		}
	}
	return firstErr(errs)
}

func validateCPU(c *specs.LinuxCPU) error {
	var errs []error
	if c.Shares != nil && *c.Shares != 0 && (*c.Shares < minShares || *c.Shares > maxShares) {
		errs = append(errs, invalid("linux.resources.cpu.shares", "%d is outside %d-%d", *c.Shares, minShares, maxShares))
	}
	if c.Period != nil && *c.Period != 0 && (*c.Period < minCFSPeriod || *c.Period > maxCFSPeriod) {
		errs = append(errs, invalid("linux.resources.cpu.period", "%d us is outside %d-%d", *c.Period, minCFSPeriod, maxCFSPeriod))
	}
	if c.Quota != nil && *c.Quota != 0 && *c.Quota != -1 && *c.Quota < minCFSQuota {
		errs = append(errs, invalid("linux.resources.cpu.quota", "%d us: must be -1 (unlimited) or at least %d", *c.Quota, minCFSQuota))
	}
	if c.Burst != nil && c.Quota != nil && *c.Quota > 0 && *c.Burst > uint64(*c.Quota) {
		errs = append(errs, invalid("linux.resources.cpu.burst", "%d us is larger than quota %d us", *c.Burst, *c.Quota))
	}
	if c.RealtimeRuntime != nil && *c.RealtimeRuntime < -1 {
		errs = append(errs, invalid("linux.resources.cpu.realtimeRuntime", "%d: must be -1 (unlimited) or >= 0", *c.RealtimeRuntime))
	}
	if c.RealtimeRuntime != nil && c.RealtimePeriod != nil && *c.RealtimePeriod != 0 && *c.RealtimeRuntime > 0 &&
		uint64(*c.RealtimeRuntime) > *c.RealtimePeriod {
		errs = append(errs, invalid("linux.resources.cpu.realtimeRuntime", "%d us is larger than realtimePeriod %d us", *c.RealtimeRuntime, *c.RealtimePeriod))
	}
	if c.Idle != nil && *c.Idle != 0 && *c.Idle != 1 {
		errs = append(errs, invalid("linux.resources.cpu.idle", "%d: must be 0 or 1", *c.Idle))
	}
	if c.Cpus != "" {
		if _, err := ParseCPUList(c.Cpus); err != nil {
			errs = append(errs, invalid("linux.resources.cpu.cpus", "%v", err))
		}
	}
	if c.Mems != "" {
		if _, err := ParseCPUList(c.Mems); err != nil {
			errs = append(errs, invalid("linux.resources.cpu.mems", "%v", err))
		}
	}
	return firstErr(errs)
}

// memValue checks a v1 memory byte value: -1 is unlimited, 0 unset.
func memValue(field string, v *int64) error {
	if v != nil && *v < -1 {
		return invalid(field, "%d: must be -1 (unlimited), 0 (unset) or a byte count", *v)
	}
	return nil
}

func validateMemory(mem *specs.LinuxMemory) error {
	errs := []error{
		memValue("linux.resources.memory.limit", mem.Limit),
		memValue("linux.resources.memory.reservation", mem.Reservation),
		memValue("linux.resources.memory.swap", mem.Swap),
		memValue("linux.resources.memory.kernel", mem.Kernel),
		memValue("linux.resources.memory.kernelTCP", mem.KernelTCP),
	}
	if s := mem.Swappiness; s != nil && int64(*s) != -1 && *s > 100 {
		errs = append(errs, invalid("linux.resources.memory.swappiness", "%d is outside 0-100", *s))
	}
	// On v1 swap is memory+swap (memory.memsw.limit_in_bytes), which the
	// kernel refuses to set below the memory limit.
	if l, s := val(mem.Limit), val(mem.Swap); l > 0 && s > 0 && pageDown(s) < pageDown(l) {
		errs = append(errs, invalid("linux.resources.memory.swap",
			"%d is below memory.limit %d (swap is memory+swap, it must be >= limit)", s, l))
	}
	return firstErr(errs)
}

func validateBlockIO(b *specs.LinuxBlockIO) error {
	var errs []error
	weight := func(field string, w *uint16) {
		if w != nil && *w != 0 && (*w < minBlkWeight || *w > maxBlkWeight) {
			errs = append(errs, invalid(field, "%d is outside %d-%d", *w, minBlkWeight, maxBlkWeight))
		}
	}
	dev := func(field string, d specs.LinuxBlockIODevice) {
		if d.Major < 0 || d.Minor < 0 {
			errs = append(errs, invalid(field, "device %d:%d: major and minor must be >= 0", d.Major, d.Minor))
		}
	}
	weight("linux.resources.blockIO.weight", b.Weight)
	weight("linux.resources.blockIO.leafWeight", b.LeafWeight)
	for i, wd := range b.WeightDevice {
		f := fmt.Sprintf("linux.resources.blockIO.weightDevice[%d]", i)
		dev(f, wd.LinuxBlockIODevice)
		weight(f+".weight", wd.Weight)
		weight(f+".leafWeight", wd.LeafWeight)
	}
	for _, t := range throttles(b) {
		for i, d := range t.devs {
			dev(fmt.Sprintf("linux.resources.blockIO.%s[%d]", t.field, i), d.LinuxBlockIODevice)
		}
	}
	return firstErr(errs)
}

type throttle struct {
	field, file string
	devs        []specs.LinuxThrottleDevice
}

func throttles(b *specs.LinuxBlockIO) []throttle {
	return []throttle{
		{"throttleReadBpsDevice", "blkio.throttle.read_bps_device", b.ThrottleReadBpsDevice},
		{"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", b.ThrottleWriteBpsDevice},
		{"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", b.ThrottleReadIOPSDevice},
		{"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", b.ThrottleWriteIOPSDevice},
	}
}

// validPageSize accepts the hugetlb file-name form of a page size: digits
// and KB, MB or GB ("2MB", "1GB", "64KB"), as the kernel names
// hugetlb.<size>.limit_in_bytes.
func validPageSize(s string) bool {
	if len(s) < 3 {
		return false
	}
	num, unit := s[:len(s)-2], s[len(s)-2:]
	if unit != "KB" && unit != "MB" && unit != "GB" {
		return false
	}
	n, err := strconv.ParseUint(num, 10, 32)
	return err == nil && n > 0 && num[0] != '0'
}

// ParseCPUList parses a cpuset list ("0-3,5,7-8", the format of
// cpuset.cpus and cpuset.mems; see cpuset(7) "List format") into the
// sorted, de-duplicated numbers it names. Whitespace around the list (a
// trailing newline read from the kernel) is ignored; the empty list is
// valid. Numbers are bounded so a typo cannot ask for a huge allocation.
func ParseCPUList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	const maxID = 1 << 16 // well above any NR_CPUS or MAX_NUMNODES
	seen := map[int]bool{}
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parseID(lo, maxID)
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = parseID(hi, maxID); err != nil {
				return nil, fmt.Errorf("list %q: %w", s, err)
			}
			if b < a {
				return nil, fmt.Errorf("list %q: range %s is backwards", s, part)
			}
		}
		for i := a; i <= b; i++ {
			if !seen[i] {
				seen[i] = true
				out = append(out, i)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func parseID(s string, maxID int) (int, error) {
	if s == "" {
		return 0, errors.New("empty element")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxID {
		return 0, fmt.Errorf("%q is out of range (max %d)", s, maxID)
	}
	return n, nil
}

// firstErr returns the first error: Set reports one problem per line, in
// the order the fields appear in the spec.
func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func val(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
