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
// Resource limits: Set applies every linux.resources group the host can
// enforce, with runc's semantics, after validating the whole request (an
// invalid value changes nothing). v1 writes the controller files; v2 writes
// the cgroup2 files and enforces device rules with an eBPF program (package
// devices); on a hybrid host each group goes to the hierarchy that has its
// controller. A group whose controller the host lacks is an error naming
// the controller and the field (ErrControllerUnavailable).
//
// Config.Systemd selects the systemd driver (package systemd): the cgroup
// is a transient scope unit that systemd creates over D-Bus, and the
// cgroupfs manager of the host's setup works on the unit's cgroup for what
// systemd does not model. Without a reachable systemd, New fails wrapping
// ErrNoSystemd.
//
// Package cgroupstest provides a recording fake Manager for callers' tests.
package libcgroups
