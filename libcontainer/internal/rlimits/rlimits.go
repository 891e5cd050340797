// Package rlimits maps OCI process.rlimits entries to setrlimit(2)
// resources and applies them, to the calling process or, with prlimit(2),
// to another one (a parent raising its child's limits, which a process in
// a user namespace could not do itself).
package rlimits

import (
	"fmt"
	"slices"
)

// Resource numbers of getrlimit(2). They are the same on every Linux
// architecture gocontainer builds for, so they are spelled out here rather
// than taken from x/sys/unix, which keeps this file portable for the
// config validator.
var byName = map[string]int{
	"RLIMIT_CPU":        0,
	"RLIMIT_FSIZE":      1,
	"RLIMIT_DATA":       2,
	"RLIMIT_STACK":      3,
	"RLIMIT_CORE":       4,
	"RLIMIT_RSS":        5,
	"RLIMIT_NPROC":      6,
	"RLIMIT_NOFILE":     7,
	"RLIMIT_MEMLOCK":    8,
	"RLIMIT_AS":         9,
	"RLIMIT_LOCKS":      10,
	"RLIMIT_SIGPENDING": 11,
	"RLIMIT_MSGQUEUE":   12,
	"RLIMIT_NICE":       13,
	"RLIMIT_RTPRIO":     14,
	"RLIMIT_RTTIME":     15,
}

// Resource returns the setrlimit(2) resource number of an OCI rlimit type
// such as "RLIMIT_NOFILE". Names are case sensitive, as in runtime-spec.
func Resource(name string) (int, error) {
	r, ok := byName[name]
	if !ok {
		return 0, fmt.Errorf("unknown rlimit type %q", name)
	}
	return r, nil
}

// Names returns every rlimit type this package knows, sorted.
func Names() []string {
	out := make([]string, 0, len(byName))
	for n := range byName {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Name returns the OCI name of resource r, or "RLIMIT_<r>" for a number
// this package does not know.
func Name(r int) string {
	for n, v := range byName {
		if v == r {
			return n
		}
	}
	return fmt.Sprintf("RLIMIT_%d", r)
}
