package common

import "time"

// FreezerState is the state of a cgroup's freezer. The values are the words
// the v1 freezer.state file uses, so they can be written there directly.
type FreezerState string

const (
	// Undefined means the state is unknown, e.g. no freezer is available.
	Undefined FreezerState = ""
	// Frozen means every task in the cgroup is frozen.
	Frozen FreezerState = "FROZEN"
	// Thawed means the cgroup's tasks run normally.
	Thawed FreezerState = "THAWED"
)

// Setup is the way cgroup hierarchies are mounted on the host.
type Setup int

const (
	// Legacy: only cgroup v1 hierarchies (a tmpfs with one mount per hierarchy).
	Legacy Setup = iota + 1
	// Hybrid: cgroup v1 hierarchies plus a cgroup2 mount at <root>/unified.
	Hybrid
	// Unified: the root is a cgroup2 mount (cgroup v2 only).
	Unified
)

func (s Setup) String() string {
	switch s {
	case Legacy:
		return "legacy"
	case Hybrid:
		return "hybrid"
	case Unified:
		return "unified"
	}
	return "unknown"
}

// Stats holds resource usage of a cgroup, the same struct on cgroup v1, v2
// and hybrid hosts (see stats.go for the parts). A controller the host does
// not have leaves its part zero; Hugetlb is keyed by page size ("2MB").
type Stats struct {
	CPU     CPUStats                `json:"cpu"`
	Memory  MemoryStats             `json:"memory"`
	Pids    PidsStats               `json:"pids"`
	Blkio   BlkioStats              `json:"blkio"`
	Hugetlb map[string]HugetlbStats `json:"hugetlb,omitempty"`
}

// PidsStats is the pids controller's usage. Limit 0 means "no limit" (the
// file says "max"), as in runc's JSON.
type PidsStats struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

// UnifiedKey is the Paths() key of the cgroup v2 directory, on unified and
// hybrid hosts. runc writes the same key ("") in state.json cgroup_paths.
const UnifiedKey = ""

// DefaultFreezeTimeout bounds how long a manager's Freeze waits for the
// kernel to report the cgroup frozen (v1 freezer.state FROZEN, v2
// cgroup.events "frozen 1").
const DefaultFreezeTimeout = 10 * time.Second
