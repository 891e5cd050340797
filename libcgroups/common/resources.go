package common

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// JoinCgroupDir returns the directory of a container cgroup in one hierarchy,
// with runc's semantics: an absolute path is taken from the hierarchy's
// mountpoint (/foo/bar -> /sys/fs/cgroup/memory/foo/bar); a relative one is
// taken from the calling process's own cgroup in that hierarchy (own, from
// /proc/self/cgroup), which is found below the mountpoint by stripping the
// mount's root (non-"/" for a bind-mounted sub-cgroup, e.g. in docker-in-docker
// without a cgroup namespace). inner must come from CleanPath.
func JoinCgroupDir(mountpoint, mountRoot, own, inner string) (string, error) {
	if filepath.IsAbs(inner) {
		return filepath.Join(mountpoint, inner), nil
	}
	if own == "" {
		return "", fmt.Errorf("relative linux.cgroupsPath %q: own cgroup under %s unknown (no line in /proc/self/cgroup): %w", inner, mountpoint, ErrInvalidPath)
	}
	if mountRoot == "" {
		mountRoot = "/"
	}
	rel, err := filepath.Rel(mountRoot, own)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("relative linux.cgroupsPath %q: own cgroup %s is outside the hierarchy mounted at %s (mount root %s): %w",
			inner, own, mountpoint, mountRoot, ErrInvalidPath)
	}
	return filepath.Join(mountpoint, rel, inner), nil
}

// PidsMaxValue is the pids.max value for an OCI pids.limit: 0 or negative
// means unlimited ("max"), as crun and youki have it and as runc up to 1.3
// behaved in effect (it wrote nothing for 0, leaving a new cgroup at
// "max"). runtime-spec long said "<= 0 implies no limit"; CRI-O and
// Podman send 0 to mean unset. Writing a literal 0 (runc 1.4) or 1 would
// break every container whose init forks into its pid namespace.
func PidsMaxValue(limit int64) string {
	if limit <= 0 {
		return "max"
	}
	return strconv.FormatInt(limit, 10)
}

// PidsLimit returns the requested pids limit, if any.
func PidsLimit(r *specs.LinuxResources) (int64, bool) {
	if r == nil || r.Pids == nil || r.Pids.Limit == nil {
		return 0, false
	}
	return *r.Pids.Limit, true
}

// V2Controllers returns the cgroup v2 controllers that must be enabled in
// the ancestors' cgroup.subtree_control for r to be applicable.
func V2Controllers(r *specs.LinuxResources) []string {
	if r == nil {
		return nil
	}
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(r.CPU != nil && (r.CPU.Shares != nil || r.CPU.Quota != nil || r.CPU.Period != nil || r.CPU.Burst != nil || r.CPU.Idle != nil), "cpu")
	add(r.CPU != nil && (r.CPU.Cpus != "" || r.CPU.Mems != ""), "cpuset")
	add(r.Memory != nil, "memory")
	add(r.BlockIO != nil, "io")
	add(len(r.HugepageLimits) > 0, "hugetlb")
	add(r.Pids != nil, "pids")
	add(len(r.Rdma) > 0, "rdma")
	for k := range r.Unified {
		// "memory.max" needs memory; "cgroup.*" files belong to the core.
		if c, _, ok := strings.Cut(k, "."); ok && c != "cgroup" {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
