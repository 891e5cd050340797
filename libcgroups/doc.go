// Package libcgroups places container processes in cgroups and controls
// them: create and join, resource limits, freeze and thaw, list and signal
// processes, remove. It works on the three ways a Linux host mounts cgroups
// (see Setup): cgroup v1 only (fs), cgroup v2 only (fs2), and hybrid, where
// v1 hierarchies carry most controllers and a cgroup2 tree at
// /sys/fs/cgroup/unified carries the rest.
//
// New picks the manager for the host. The container's cgroup path follows
// runc exactly: an absolute linux.cgroupsPath is taken from the root of each
// hierarchy, a relative one (and an empty one, which defaults to the
// container id) from the calling process's own cgroup in each hierarchy.
// Paths returns where the cgroup is; save it and rebuild the manager with
// Load in later commands, which may run from another cgroup.
//
// Resource limits: this version applies linux.resources.pids; the other
// resource groups are accepted, logged as not applied, and implemented by
// the resources work. The systemd driver is not implemented yet
// (ErrSystemdUnsupported).
//
// Package cgroupstest provides a recording fake Manager for callers' tests.
package libcgroups
