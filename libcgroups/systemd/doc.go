// Package systemd is the systemd cgroup driver: a container's cgroup is a
// transient scope unit that systemd creates, over D-Bus, in a slice, with
// Delegate=yes so the runtime may manage the cgroup below it.
//
// The unit is named from linux.cgroupsPath in runc's "slice:prefix:name"
// form (ParsePath). Resources become unit properties with runc's
// conversions (Properties), so systemd records them and re-applies them
// on its own reloads; everything is then also written directly to the
// unit's cgroup by a cgroupfs manager the caller supplies (Options.FS),
// which covers what systemd does not model (the eBPF device program with
// runc's rule semantics, hugetlb, rdma, cpu.idle, cpu.max.burst, unified
// keys without a property) and makes the values exact where systemd rounds.
//
// The system instance is reached through /run/systemd/private (root) or
// the system bus; the user instance of an unprivileged caller through
// $XDG_RUNTIME_DIR/systemd/private or the session bus. Every D-Bus call
// has a deadline, and unit jobs are awaited through JobRemoved.
package systemd
