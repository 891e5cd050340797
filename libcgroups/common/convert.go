package common

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// CPUSharesToWeight converts an OCI/cgroup v1 cpu.shares value (2..262144,
// default 1024) to a cgroup v2 cpu.weight (1..10000, default 100). 0 means
// unset and stays 0.
//
// This is runc's current conversion, ConvertCPUSharesToCgroupV2Value in
// github.com/opencontainers/cgroups utils.go (opencontainers/cgroups#20,
// runc PR #4785, fixing kubernetes/kubernetes#131216): a quadratic in
// log2(shares) chosen so that min, default and max map exactly (2 -> 1,
// 1024 -> 100, 262144 -> 10000). The old linear formula
// 1+(shares-2)*9999/262142 mapped the default 1024 to 39, so a container
// with default shares got less CPU than a plain process. crun uses the
// same curve (containers/crun#1721), so the runtimes agree.
func CPUSharesToWeight(shares uint64) uint64 {
	switch {
	case shares == 0:
		return 0
	case shares <= 2:
		return 1
	case shares >= 262144:
		return 10000
	}
	l := math.Log2(float64(shares))
	exp := (l*l+125*l)/612.0 - 7.0/34.0
	return uint64(math.Ceil(math.Pow(10, exp)))
}

// ErrSwapBelowMemory means memory.swap (memory+swap) is below memory.limit.
var ErrSwapBelowMemory = errors.New("memory+swap limit is below the memory limit")

// MemorySwapToV2 converts OCI memory.swap, which is memory+swap as in
// cgroup v1's memsw.limit_in_bytes, to cgroup v2's memory.swap.max, which
// is swap alone, with runc's semantics (ConvertMemorySwapToCgroupV2Value):
//
//   - swap 0 is unset and stays 0, except with memory -1 (unlimited), which
//     gives -1: "memory unlimited" means memory and swap unlimited, as v1;
//   - swap -1 (unlimited) stays -1; below -1 is an error (runc passes it
//     on for the kernel to refuse);
//   - memory -1 passes swap through (nothing to subtract);
//   - memory 0 (unset) with a swap limit is an error: it cannot be computed;
//   - swap below memory is an error (ErrSwapBelowMemory);
//   - otherwise swap - memory (swap == memory gives 0: no swap).
func MemorySwapToV2(swap, memory int64) (int64, error) {
	switch {
	case memory == -1 && swap == 0:
		return -1, nil
	case swap == -1, swap == 0:
		return swap, nil
	case swap < -1:
		return 0, fmt.Errorf("invalid memory+swap limit %d", swap)
	case memory == -1:
		return swap, nil
	case memory == 0:
		return 0, errors.New("a swap limit needs a memory limit (memory.swap is memory+swap)")
	case memory < 0:
		return 0, fmt.Errorf("invalid memory limit %d", memory)
	case swap < memory:
		return 0, fmt.Errorf("memory.swap %d < memory.limit %d: %w", swap, memory, ErrSwapBelowMemory)
	}
	return swap - memory, nil
}

// BlkioWeightToIOWeight converts a cgroup v1 blkio weight (10..1000) to a
// cgroup v2 io.weight (1..10000) linearly, as runc does
// (ConvertBlkIOToIOWeightValue). 0 means unset and stays 0.
func BlkioWeightToIOWeight(w uint16) uint64 {
	if w == 0 {
		return 0
	}
	if w < 10 {
		return 1
	}
	return 1 + (uint64(w)-10)*9999/990
}

// CheckCPUList checks a cpuset list ("0-3,5,7-8", cpuset.cpus and
// cpuset.mems syntax, Documentation/admin-guide/cgroup-v2.rst): comma
// separated numbers or ascending ranges. The kernel would reject the rest
// with a bare EINVAL; checking first lets Set fail before writing anything.
func CheckCPUList(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("empty list")
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			return fmt.Errorf("malformed list %q: bad number %q", s, lo)
		}
		if !isRange {
			continue
		}
		b, err := strconv.ParseUint(hi, 10, 32)
		if err != nil {
			return fmt.Errorf("malformed list %q: bad number %q", s, hi)
		}
		if b < a {
			return fmt.Errorf("malformed list %q: range %q is descending", s, part)
		}
	}
	return nil
}
