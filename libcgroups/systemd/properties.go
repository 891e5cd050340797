package systemd

//lint:file-ignore SA1019 linux.resources.memory.kernel is deprecated; it is only passed through to the cgroupfs manager.

import (
	"fmt"
	"math"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/devices"
)

// Property is one unit property as StartTransientUnit and
// SetUnitProperties take it (D-Bus signature (sv)).
type Property struct {
	Name  string
	Value dbus.Variant
}

func prop(name string, v any) Property { return Property{Name: name, Value: dbus.MakeVariant(v)} }

// String renders the property as "Name=value" for logs and errors.
func (p Property) String() string { return p.Name + "=" + p.Value.String() }

// infinity is systemd's USEC_INFINITY / CGROUP_LIMIT_MAX: "no limit".
const infinity = uint64(math.MaxUint64)

// defaultCPUPeriod is the kernel's default cfs period (100ms), which
// systemd assumes when CPUQuotaPeriodUSec is not set.
const defaultCPUPeriod = 100000

// Properties converts OCI resources to systemd unit properties with runc's
// conversions (opencontainers/cgroups systemd/v2.go) for a cgroup v2 host
// (v1 false) or a v1/hybrid host (v1 true, the legacy property names).
// Keys of linux.resources.unified that systemd models (cpu.weight,
// cpu.max, cpuset.cpus, cpuset.mems, memory.min/low/high/max/swap.max,
// pids.max) become properties too and take precedence over the fields
// they overlap, as in runc. Everything else is left to the cgroupfs
// writes that follow. Errors name the OCI field.
func Properties(r *specs.LinuxResources, v1 bool, procDevices func() ([]byte, error)) ([]Property, error) {
	if r == nil {
		return nil, nil
	}
	var props []Property
	set := func(p Property) {
		// A later property of the same name replaces the earlier one
		// (unified keys are converted last and win).
		props = slices.DeleteFunc(props, func(q Property) bool { return q.Name == p.Name })
		props = append(props, p)
	}
	const res = "linux.resources."
	if c := r.CPU; c != nil {
		if c.Shares != nil && *c.Shares != 0 {
			if v1 {
				set(prop("CPUShares", *c.Shares))
			} else {
				set(prop("CPUWeight", common.CPUSharesToWeight(*c.Shares)))
			}
		}
		var quota int64
		var period uint64
		if c.Quota != nil {
			quota = *c.Quota
		}
		if c.Period != nil {
			period = *c.Period
		}
		for _, p := range cpuQuota(quota, period) {
			set(p)
		}
		if !v1 {
			for _, x := range []struct{ name, field, list string }{
				{"AllowedCPUs", "cpu.cpus", c.Cpus}, {"AllowedMemoryNodes", "cpu.mems", c.Mems},
			} {
				if x.list == "" {
					continue
				}
				bits, err := ListToBits(x.list)
				if err != nil {
					return nil, fmt.Errorf("%s%s: %w", res, x.field, err)
				}
				set(prop(x.name, bits))
			}
		}
	}
	if m := r.Memory; m != nil {
		var limit int64
		if m.Limit != nil {
			limit = *m.Limit
		}
		if limit != 0 {
			if v1 {
				set(prop("MemoryLimit", limitValue(limit)))
			} else {
				set(prop("MemoryMax", limitValue(limit)))
			}
		}
		if !v1 {
			if m.Reservation != nil && *m.Reservation != 0 {
				set(prop("MemoryLow", limitValue(*m.Reservation)))
			}
			if m.Swap != nil {
				swap, err := common.MemorySwapToV2(*m.Swap, limit)
				if err != nil {
					return nil, fmt.Errorf("%smemory.swap: %w", res, err)
				}
				if swap != 0 {
					set(prop("MemorySwapMax", limitValue(swap)))
				}
			} else if limit == -1 {
				set(prop("MemorySwapMax", infinity))
			}
		}
	}
	if limit, ok := common.PidsLimit(r); ok {
		// 0 and -1 are "no limit" (see common.PidsMaxValue).
		v := infinity
		if limit > 0 {
			v = uint64(limit)
		}
		set(prop("TasksMax", v))
	}
	if b := r.BlockIO; b != nil {
		ps, err := ioProperties(b, v1)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			set(p)
		}
	}
	if len(r.Devices) > 0 {
		ps, err := DeviceProperties(r.Devices, procDevices)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			set(p)
		}
	}
	if !v1 {
		ps, err := unifiedProperties(r.Unified)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			set(p)
		}
	}
	return props, nil
}

// limitValue maps an OCI limit (-1 unlimited) to a systemd one.
func limitValue(v int64) uint64 {
	if v < 0 {
		return infinity
	}
	return uint64(v)
}

// cpuQuota is runc's addCpuQuota: CPUQuotaPeriodUSec when a period is
// given, and CPUQuotaPerSecUSec (quota per second of wall time) when a
// quota or period is. systemd keeps the quota as a whole percentage of a
// CPU, so a fractional one is rounded up to the next 10ms per second; the
// exact cpu.max is written directly afterwards.
func cpuQuota(quota int64, period uint64) []Property {
	var out []Property
	if period != 0 {
		out = append(out, prop("CPUQuotaPeriodUSec", period))
	}
	if quota == 0 && period == 0 {
		return out
	}
	perSec := infinity
	if quota > 0 {
		if period == 0 {
			period = defaultCPUPeriod
		}
		perSec = uint64(quota) * 1000000 / period
		if perSec%10000 != 0 {
			perSec = (perSec/10000 + 1) * 10000
		}
	}
	return append(out, prop("CPUQuotaPerSecUSec", perSec))
}

// ListToBits converts a cpuset list ("0-3,8") to the byte mask systemd's
// AllowedCPUs and AllowedMemoryNodes take: byte i holds CPUs 8i..8i+7,
// lowest bit first.
func ListToBits(list string) ([]byte, error) {
	if err := common.CheckCPUList(list); err != nil {
		return nil, err
	}
	bits := new(big.Int)
	for _, part := range strings.Split(strings.TrimSpace(list), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, _ := strconv.ParseUint(lo, 10, 32)
		b := a
		if isRange {
			b, _ = strconv.ParseUint(hi, 10, 32)
		}
		if b >= 1<<16 {
			return nil, fmt.Errorf("list %q: %d is above the largest CPU or node number systemd takes (65535)", list, b)
		}
		for i := a; i <= b; i++ {
			bits.SetBit(bits, int(i), 1)
		}
	}
	be := bits.Bytes() // big-endian
	if len(be) == 0 {
		return []byte{0}, nil
	}
	slices.Reverse(be)
	return be, nil
}

// ioDevice is one entry of systemd's IO*Max and IODeviceWeight (a(st)).
type ioDevice struct {
	Path  string
	Value uint64
}

func blockPath(major, minor int64) string { return fmt.Sprintf("/dev/block/%d:%d", major, minor) }

func ioProperties(b *specs.LinuxBlockIO, v1 bool) ([]Property, error) {
	const res = "linux.resources.blockIO."
	var out []Property
	if b.Weight != nil && *b.Weight != 0 {
		if *b.Weight < 10 || *b.Weight > 1000 {
			return nil, fmt.Errorf("%sweight: %d out of range (want 10 to 1000)", res, *b.Weight)
		}
		if v1 {
			out = append(out, prop("BlockIOWeight", uint64(*b.Weight)))
		} else {
			out = append(out, prop("IOWeight", common.BlkioWeightToIOWeight(*b.Weight)))
		}
	}
	if v1 {
		return out, nil
	}
	var weights []ioDevice
	for i, d := range b.WeightDevice {
		if d.Weight == nil {
			continue
		}
		if *d.Weight < 10 || *d.Weight > 1000 {
			return nil, fmt.Errorf("%sweightDevice[%d].weight: %d out of range (want 10 to 1000)", res, i, *d.Weight)
		}
		weights = append(weights, ioDevice{blockPath(d.Major, d.Minor), common.BlkioWeightToIOWeight(*d.Weight)})
	}
	if len(weights) > 0 {
		out = append(out, prop("IODeviceWeight", weights))
	}
	for _, t := range []struct {
		name, field string
		list        []specs.LinuxThrottleDevice
	}{
		{"IOReadBandwidthMax", "throttleReadBpsDevice", b.ThrottleReadBpsDevice},
		{"IOWriteBandwidthMax", "throttleWriteBpsDevice", b.ThrottleWriteBpsDevice},
		{"IOReadIOPSMax", "throttleReadIOPSDevice", b.ThrottleReadIOPSDevice},
		{"IOWriteIOPSMax", "throttleWriteIOPSDevice", b.ThrottleWriteIOPSDevice},
	} {
		var list []ioDevice
		for i, d := range t.list {
			if d.Major < 0 || d.Minor < 0 {
				return nil, fmt.Errorf("%s%s[%d]: invalid device %d:%d", res, t.field, i, d.Major, d.Minor)
			}
			// A v1 throttle of 0 removes the limit.
			v := d.Rate
			if v == 0 {
				v = infinity
			}
			list = append(list, ioDevice{blockPath(d.Major, d.Minor), v})
		}
		if len(list) > 0 {
			out = append(out, prop(t.name, list))
		}
	}
	return out, nil
}

// deviceAllow is one DeviceAllow entry (a(ss)): a device node or class and
// the accesses ("rwm").
type deviceAllow struct {
	Path   string
	Access string
}

// DeviceProperties converts OCI device rules to DevicePolicy and
// DeviceAllow. The runtime's own eBPF program (devices package) enforces
// the rules exactly; systemd's program is attached beside it and the
// kernel lets an access through only if both allow it, so what is given
// to systemd must allow at least what the rules allow. A deny-by-default
// list becomes DevicePolicy=strict with one DeviceAllow per allowed
// device: "/dev/char/M:m" for one device, "char-NAME" (its major's name in
// /proc/devices) for all minors of a major, "char-*" for all of a type.
// A list systemd cannot express (allow-by-default with denied exceptions,
// a major without a name) leaves systemd permissive (DevicePolicy=auto,
// no DeviceAllow) and the eBPF program alone decides.
func DeviceProperties(rules []specs.LinuxDeviceCgroup, procDevices func() ([]byte, error)) ([]Property, error) {
	f, err := devices.NewFilter(rules)
	if err != nil {
		return nil, err
	}
	permissive := []Property{prop("DevicePolicy", "auto"), prop("DeviceAllow", []deviceAllow{})}
	if f.DefaultAllow {
		return permissive, nil
	}
	var names map[string]map[int64]string // "char"/"block" -> major -> name
	allow := []deviceAllow{}
	for _, r := range f.Exceptions {
		class := "char"
		if r.Type == devices.Block {
			class = "block"
		}
		var p string
		switch {
		case r.Major == devices.Wildcard && r.Minor == devices.Wildcard:
			p = class + "-*"
		case r.Major == devices.Wildcard:
			// Every major, one minor: systemd cannot say it; all of the
			// type is a superset.
			p = class + "-*"
		case r.Minor == devices.Wildcard:
			if names == nil {
				names = parseProcDevices(procDevices)
			}
			n, ok := names[class][r.Major]
			if !ok {
				return permissive, nil
			}
			p = class + "-" + n
		default:
			p = fmt.Sprintf("/dev/%s/%d:%d", class, r.Major, r.Minor)
		}
		allow = append(allow, deviceAllow{Path: p, Access: r.Access.String()})
	}
	return []Property{prop("DevicePolicy", "strict"), prop("DeviceAllow", allow)}, nil
}

// parseProcDevices reads /proc/devices ("Character devices:" and "Block
// devices:" sections of "MAJOR NAME" lines).
func parseProcDevices(read func() ([]byte, error)) map[string]map[int64]string {
	if read == nil {
		read = func() ([]byte, error) { return os.ReadFile("/proc/devices") }
	}
	out := map[string]map[int64]string{"char": {}, "block": {}}
	b, err := read()
	if err != nil {
		return out
	}
	class := ""
	for _, line := range strings.Split(string(b), "\n") {
		switch strings.TrimSpace(line) {
		case "Character devices:":
			class = "char"
			continue
		case "Block devices:":
			class = "block"
			continue
		}
		f := strings.Fields(line)
		if class == "" || len(f) != 2 {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			if _, dup := out[class][n]; !dup {
				out[class][n] = f[1]
			}
		}
	}
	return out
}

// unifiedProperties converts the unified keys systemd models, as runc's
// unifiedResToSystemdProps does.
func unifiedProperties(u map[string]string) ([]Property, error) {
	var out []Property
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range u {
			if !yield(k) {
				return
			}
		}
	}) {
		v := strings.TrimSpace(u[k])
		field := fmt.Sprintf("linux.resources.unified[%q]", k)
		switch k {
		case "cpu.weight":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n < 1 || n > 10000 {
				return nil, fmt.Errorf("%s: %q is not a weight from 1 to 10000", field, v)
			}
			out = append(out, prop("CPUWeight", n))
		case "cpu.max":
			f := strings.Fields(v)
			if len(f) < 1 || len(f) > 2 {
				return nil, fmt.Errorf("%s: %q is not \"QUOTA [PERIOD]\"", field, v)
			}
			quota := int64(-1)
			if f[0] != "max" {
				q, err := strconv.ParseInt(f[0], 10, 64)
				if err != nil || q <= 0 {
					return nil, fmt.Errorf("%s: quota %q is not a positive number or max", field, f[0])
				}
				quota = q
			}
			var period uint64
			if len(f) == 2 {
				p, err := strconv.ParseUint(f[1], 10, 64)
				if err != nil || p == 0 {
					return nil, fmt.Errorf("%s: period %q is not a positive number", field, f[1])
				}
				period = p
			}
			out = append(out, cpuQuota(quota, period)...)
		case "cpuset.cpus", "cpuset.mems":
			bits, err := ListToBits(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", field, err)
			}
			name := "AllowedCPUs"
			if k == "cpuset.mems" {
				name = "AllowedMemoryNodes"
			}
			out = append(out, prop(name, bits))
		case "memory.min", "memory.low", "memory.high", "memory.max", "memory.swap.max", "pids.max":
			n := infinity
			if v != "max" {
				x, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("%s: %q is not a number or max", field, v)
				}
				n = x
			}
			name := map[string]string{
				"memory.min": "MemoryMin", "memory.low": "MemoryLow", "memory.high": "MemoryHigh",
				"memory.max": "MemoryMax", "memory.swap.max": "MemorySwapMax", "pids.max": "TasksMax",
			}[k]
			out = append(out, prop(name, n))
		}
	}
	return out, nil
}
