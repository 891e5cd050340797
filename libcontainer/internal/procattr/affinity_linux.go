package procattr

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// MaxCPUs is the number of CPUs a [unix.CPUSet] can name; a list naming a
// higher CPU is refused rather than silently truncated.
var MaxCPUs = len(unix.CPUSet{}) * 64

// ParseList parses a kernel list string ("0-3,7": comma-separated ids and
// inclusive ranges, the format of cpuset.cpus and of the spec's
// execCPUAffinity and memoryPolicy.nodes) into the ids it names, each
// below limit. The limit is checked before a range is expanded, so a
// hostile "0-4294967295" costs nothing. The error does not name the field;
// callers add it.
func ParseList(s string, limit int) ([]int, error) {
	if s == "" {
		return nil, errors.New("empty list")
	}
	var ids []int
	for elem := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(elem, "-")
		first, err := listID(lo, elem, limit)
		if err != nil {
			return nil, err
		}
		last := first
		if isRange {
			if last, err = listID(hi, elem, limit); err != nil {
				return nil, err
			}
			if last < first {
				return nil, fmt.Errorf("range %q is reversed", elem)
			}
		}
		for id := first; id <= last; id++ {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func listID(s, elem string, limit int) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("malformed element %q", elem)
	}
	for i := 0; i < len(s); i++ {
		// Digits only: Atoi would take "+1", and spaces are not in the format.
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("malformed element %q", elem)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n >= limit {
		return 0, fmt.Errorf("%s is out of range 0..%d", s, limit-1)
	}
	return n, nil
}

// CPUSet parses a CPU list for the field named by field
// ("process.execCPUAffinity.final").
func CPUSet(field, list string) (*unix.CPUSet, error) {
	ids, err := ParseList(list, MaxCPUs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	set := new(unix.CPUSet)
	for _, id := range ids {
		set.Set(id)
	}
	return set, nil
}

// CheckCPUAffinity validates process.execCPUAffinity; empty lists mean
// "leave the affinity alone" and are valid.
func CheckCPUAffinity(a *specs.CPUAffinity) error {
	if a == nil {
		return nil
	}
	if a.Initial != "" {
		if _, err := CPUSet("process.execCPUAffinity.initial", a.Initial); err != nil {
			return err
		}
	}
	if a.Final != "" {
		if _, err := CPUSet("process.execCPUAffinity.final", a.Final); err != nil {
			return err
		}
	}
	return nil
}

// SetAffinity sets the CPU affinity of pid (0: the calling thread) to the
// list in field. It is meant for "initial", set by the runtime on the new
// process before it joins the container's cgroup.
func SetAffinity(pid int, field, list string) error {
	set, err := CPUSet(field, list)
	if err != nil {
		return err
	}
	if err := unix.SchedSetaffinity(pid, set); err != nil {
		return fmt.Errorf("%s %q: %w", field, list, os.NewSyscallError("sched_setaffinity", err))
	}
	return nil
}

// ApplyExecCPUAffinity sets the affinity the container process execs with,
// on the calling thread (affinity is per thread and survives execve). The
// caller has already joined the container's cgroup, which is where the
// spec puts "final". Without "final" nothing changes: runtime-spec says the
// runtime "SHOULD NOT change" the affinity after the cgroup move, leaving
// it to the kernel (a cpuset attach resets it to the cgroup's CPUs), so
// "initial" only ever covers the runtime's own setup.
func ApplyExecCPUAffinity(a *specs.CPUAffinity) error {
	if a == nil || a.Final == "" {
		return nil
	}
	return SetAffinity(0, "process.execCPUAffinity.final", a.Final)
}
