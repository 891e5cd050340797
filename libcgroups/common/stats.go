package common

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CPUStats is cpu and cpuacct usage. Times are nanoseconds on v1 and v2
// alike (v2's microseconds and v1's USER_HZ ticks are converted).
type CPUStats struct {
	Usage      CPUUsage      `json:"usage"`
	Throttling CPUThrottling `json:"throttling"`
	// PSI is cpu.pressure (cgroup v2 only; on a hybrid host read from the
	// cgroup2 directory, which holds the same processes).
	PSI *PSIStats `json:"psi,omitempty"`
}

// CPUUsage is CPU time consumed by the cgroup's tasks.
type CPUUsage struct {
	Total  uint64 `json:"total"`
	Kernel uint64 `json:"kernel"`
	User   uint64 `json:"user"`
	// PerCPU is cpuacct.usage_percpu (v1 only: cgroup v2 has no per-CPU
	// usage file).
	PerCPU []uint64 `json:"percpu,omitempty"`
}

// CPUThrottling is CFS bandwidth throttling: enforcement periods elapsed,
// periods in which the cgroup was throttled, and total throttled time (ns).
type CPUThrottling struct {
	Periods          uint64 `json:"periods"`
	ThrottledPeriods uint64 `json:"throttled_periods"`
	ThrottledTime    uint64 `json:"throttled_time"`
}

// MemoryStats is memory controller usage.
type MemoryStats struct {
	// Cache is page cache: v1 memory.stat "cache", v2 memory.stat "file".
	Cache uint64 `json:"cache"`
	// Usage is memory usage (v1 memory.usage_in_bytes, max_usage_in_bytes,
	// limit_in_bytes, failcnt; v2 memory.current, memory.peak, memory.max
	// and memory.events "max").
	Usage MemoryEntry `json:"usage"`
	// Swap is memory plus swap, as runc reports it on both versions: v1
	// memory.memsw.*, v2 memory.swap.current + memory.current and
	// memory.swap.max + memory.max. Zero when swap accounting is off.
	Swap MemoryEntry `json:"swap"`
	// Stat is the whole memory.stat file.
	Stat map[string]uint64 `json:"stat,omitempty"`
	// Events is v2 memory.events (low, high, max, oom, oom_kill).
	Events map[string]uint64 `json:"events,omitempty"`
	// OOMKill is how many tasks the OOM killer killed in the cgroup (v1
	// memory.oom_control "oom_kill", v2 memory.events "oom_kill").
	OOMKill uint64 `json:"oom_kill"`
	// PSI is memory.pressure (cgroup v2 only).
	PSI *PSIStats `json:"psi,omitempty"`
}

// MemoryEntry is one memory counter. A Limit of math.MaxUint64 means the
// v2 file says "max"; v1 reports its own large "unlimited" number.
type MemoryEntry struct {
	Usage    uint64 `json:"usage"`
	MaxUsage uint64 `json:"max_usage"`
	Limit    uint64 `json:"limit"`
	Failcnt  uint64 `json:"failcnt"`
}

// BlkioStats is block I/O per device: v1 blkio.throttle.* files, or v2
// io.stat converted to the same entries (rbytes/wbytes become Read/Write
// service bytes, rios/wios Read/Write serviced ios; Total is added).
type BlkioStats struct {
	IoServiceBytesRecursive []BlkioEntry `json:"io_service_bytes_recursive,omitempty"`
	IoServicedRecursive     []BlkioEntry `json:"io_serviced_recursive,omitempty"`
	// PSI is io.pressure (cgroup v2 only).
	PSI *PSIStats `json:"psi,omitempty"`
}

// BlkioEntry is one "major:minor op value" line.
type BlkioEntry struct {
	Major uint64 `json:"major"`
	Minor uint64 `json:"minor"`
	Op    string `json:"op"`
	Value uint64 `json:"value"`
}

// HugetlbStats is one huge page size's usage in bytes; Failcnt counts
// allocations refused by the limit (v1 failcnt, v2 hugetlb.<size>.events
// "max").
type HugetlbStats struct {
	Usage    uint64 `json:"usage"`
	MaxUsage uint64 `json:"max_usage,omitempty"`
	Failcnt  uint64 `json:"failcnt"`
}

// PSIStats is one pressure file: "some" tasks stalled and "full" (all
// non-idle tasks stalled), see Documentation/accounting/psi.rst.
type PSIStats struct {
	Some PSIData `json:"some"`
	Full PSIData `json:"full"`
}

// PSIData is one line of a pressure file: stall percentages over 10, 60
// and 300 seconds and the total stall time in microseconds.
type PSIData struct {
	Avg10  float64 `json:"avg10"`
	Avg60  float64 `json:"avg60"`
	Avg300 float64 `json:"avg300"`
	Total  uint64  `json:"total"`
}

// ClockTicks is USER_HZ, the unit of v1 cpuacct.stat. The kernel exports
// 100 on every architecture Linux supports (sysconf(_SC_CLK_TCK)).
const ClockTicks = 100

// ParseNestedKeyed parses a nested keyed file (io.stat, rdma.current,
// io.max): "KEY sub=value sub=value ..." per line. Values must be unsigned
// integers or "max" (returned as math.MaxUint64); fields whose value is a
// decimal fraction (io.stat's iocost debug "cost.vrate=100.00") are
// skipped rather than truncated.
func ParseNestedKeyed(data []byte) (map[string]map[string]uint64, error) {
	out := map[string]map[string]uint64{}
	for i, line := range lines(data) {
		n := i + 1
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		m := out[f[0]]
		if m == nil {
			m = map[string]uint64{}
			out[f[0]] = m
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("line %d %q: field %q is not key=value", n, line, kv)
			}
			if v == "max" {
				m[k] = math.MaxUint64
				continue
			}
			u, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				if _, ferr := strconv.ParseFloat(v, 64); ferr == nil && strings.Contains(v, ".") {
					continue
				}
				return nil, fmt.Errorf("line %d %q: field %q: value is not an unsigned integer", n, line, kv)
			}
			m[k] = u
		}
	}
	return out, nil
}

// ParsePSI parses a cgroup v2 pressure file (cpu.pressure, memory.pressure,
// io.pressure): "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and the
// same for "full" (cpu.pressure has a zero "full" line since 5.13 and none
// before). Unknown keys are ignored so a newer kernel's additions parse.
func ParsePSI(data []byte) (*PSIStats, error) {
	st := &PSIStats{}
	for i, line := range lines(data) {
		n := i + 1
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var d *PSIData
		switch f[0] {
		case "some":
			d = &st.Some
		case "full":
			d = &st.Full
		default:
			return nil, fmt.Errorf("line %d %q: want \"some\" or \"full\"", n, line)
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("line %d %q: field %q is not key=value", n, line, kv)
			}
			var err error
			switch k {
			case "avg10":
				d.Avg10, err = parsePercent(v)
			case "avg60":
				d.Avg60, err = parsePercent(v)
			case "avg300":
				d.Avg300, err = parsePercent(v)
			case "total":
				d.Total, err = strconv.ParseUint(v, 10, 64)
			}
			if err != nil {
				return nil, fmt.Errorf("line %d %q: field %q: bad value", n, line, kv)
			}
		}
	}
	return st, nil
}

// parsePercent parses a PSI average, a non-negative finite decimal.
func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("bad percentage %q", s)
	}
	return v, nil
}

// ParseBlkio parses a v1 blkio per-device file (blkio.throttle.
// io_service_bytes[_recursive], io_serviced[_recursive]): lines
// "MAJOR:MINOR Op VALUE" and a last "Total VALUE" line over all devices,
// which is dropped (the per-device "Total" op lines stay). Files with one
// value per device ("MAJOR:MINOR VALUE", e.g. blkio.time) get Op "".
func ParseBlkio(data []byte) ([]BlkioEntry, error) {
	var out []BlkioEntry
	for i, line := range lines(data) {
		n := i + 1
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) == 2 && f[0] == "Total" {
			if _, err := strconv.ParseUint(f[1], 10, 64); err != nil {
				return nil, fmt.Errorf("line %d %q: bad total", n, line)
			}
			continue
		}
		if len(f) != 2 && len(f) != 3 {
			return nil, fmt.Errorf("line %d %q: want \"major:minor [op] value\"", n, line)
		}
		maj, min, err := parseDevice(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %w", n, line, err)
		}
		e := BlkioEntry{Major: maj, Minor: min}
		vs := f[1]
		if len(f) == 3 {
			e.Op, vs = f[1], f[2]
		}
		if e.Value, err = strconv.ParseUint(vs, 10, 64); err != nil {
			return nil, fmt.Errorf("line %d %q: value %q is not an unsigned integer", n, line, vs)
		}
		out = append(out, e)
	}
	return out, nil
}

// parseDevice parses "MAJOR:MINOR".
func parseDevice(s string) (uint64, uint64, error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("device %q is not major:minor", s)
	}
	maj, err1 := strconv.ParseUint(a, 10, 32)
	min, err2 := strconv.ParseUint(b, 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("device %q is not major:minor", s)
	}
	return maj, min, nil
}

// ParseUintList parses whitespace-separated unsigned integers
// (cpuacct.usage_percpu).
func ParseUintList(data []byte) ([]uint64, error) {
	var out []uint64
	for _, f := range strings.Fields(string(data)) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("value %q is not an unsigned integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// ParseUint parses a single-value file holding an unsigned integer
// (memory.usage_in_bytes, cpuacct.usage).
func ParseUint(data []byte) (uint64, error) {
	s := strings.TrimSpace(string(data))
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("value %q is not an unsigned integer", s)
	}
	return v, nil
}

// ParseUintOrMaxLimit parses a v2 limit file (memory.max, hugetlb.*.max):
// "max" is math.MaxUint64, as runc reports it.
func ParseUintOrMaxLimit(data []byte) (uint64, error) {
	if strings.TrimSpace(string(data)) == "max" {
		return math.MaxUint64, nil
	}
	return ParseUint(data)
}

// IOStatToBlkio converts parsed v2 io.stat to v1-shaped entries, sorted by
// device: rbytes/wbytes/dbytes become service bytes Read/Write/Discard and
// rios/wios/dios serviced Read/Write/Discard, each device with a Total of
// Read and Write as v1 has.
func IOStatToBlkio(stat map[string]map[string]uint64) (bytesEntries, iosEntries []BlkioEntry, err error) {
	type dev struct{ maj, min uint64 }
	devs := make([]dev, 0, len(stat))
	vals := make(map[dev]map[string]uint64, len(stat))
	for k, v := range stat {
		maj, min, err := parseDevice(k)
		if err != nil {
			return nil, nil, err
		}
		d := dev{maj, min}
		devs = append(devs, d)
		vals[d] = v
	}
	// Sort by major then minor for stable output.
	for i := 1; i < len(devs); i++ {
		for j := i; j > 0 && (devs[j].maj < devs[j-1].maj || devs[j].maj == devs[j-1].maj && devs[j].min < devs[j-1].min); j-- {
			devs[j], devs[j-1] = devs[j-1], devs[j]
		}
	}
	for _, d := range devs {
		v := vals[d]
		add := func(out *[]BlkioEntry, r, w, dis string) {
			*out = append(*out,
				BlkioEntry{Major: d.maj, Minor: d.min, Op: "Read", Value: v[r]},
				BlkioEntry{Major: d.maj, Minor: d.min, Op: "Write", Value: v[w]})
			if x, ok := v[dis]; ok {
				*out = append(*out, BlkioEntry{Major: d.maj, Minor: d.min, Op: "Discard", Value: x})
			}
			*out = append(*out, BlkioEntry{Major: d.maj, Minor: d.min, Op: "Total", Value: v[r] + v[w]})
		}
		add(&bytesEntries, "rbytes", "wbytes", "dbytes")
		add(&iosEntries, "rios", "wios", "dios")
	}
	return bytesEntries, iosEntries, nil
}

// lines splits file content into lines; index i is line i+1.
func lines(data []byte) []string {
	return strings.Split(string(data), "\n")
}

// MergeStats completes v1 stats of a hybrid host with the cgroup2 tree's:
// each controller that v1 does not mount (inV1 false) is taken from v2,
// and the PSI files, which only cgroup2 has, always are.
func MergeStats(v1, v2 *Stats, inV1 func(controller string) bool) {
	if !inV1("cpu") && !inV1("cpuacct") {
		v1.CPU = v2.CPU
	}
	if !inV1("memory") {
		v1.Memory = v2.Memory
	}
	if !inV1("pids") {
		v1.Pids = v2.Pids
	}
	if !inV1("blkio") {
		v1.Blkio = v2.Blkio
	}
	if !inV1("hugetlb") {
		v1.Hugetlb = v2.Hugetlb
	}
	v1.CPU.PSI = v2.CPU.PSI
	v1.Memory.PSI = v2.Memory.PSI
	v1.Blkio.PSI = v2.Blkio.PSI
}
