// Package specconv produces OCI runtime specs for "gocontainer spec": the
// starter config.json runc writes, its rootless variant, and the file
// itself.
package specconv

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Hostname is the hostname of the example spec (runc uses "runc").
const Hostname = "gocontainer"

// Example returns the starter spec "gocontainer spec" writes: runc's
// example (sh in a read-only "rootfs" with a terminal, three capabilities,
// NOFILE 1024, the standard /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue,
// /sys and /sys/fs/cgroup mounts, masked and read-only paths, a deny-all
// device cgroup rule, and pid, network, ipc, uts and mount namespaces),
// with our hostname. Like runc it adds a cgroup namespace only when the
// host runs the cgroup v2 unified hierarchy, where a private cgroupns
// makes /sys/fs/cgroup show the container's own subtree.
func Example() *specs.Spec {
	return ExampleFor(IsCgroup2UnifiedMode())
}

// ExampleFor is Example with the cgroup namespace decision made by the
// caller instead of probed from the host.
//
// Differences from runc 1.1's output, on purpose: ociVersion is the
// runtime-spec version we build with; there is no ambient capability set
// (ambient capabilities need matching inheritable ones, which the example
// does not grant, so runc 1.2 dropped them too); /sys/devices/virtual/powercap
// is masked as Docker does (Intel RAPL energy counters leak secrets,
// CVE-2020-8694).
func ExampleFor(cgroupNamespace bool) *specs.Spec {
	caps := func() []string { return []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"} }
	s := &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: "rootfs", Readonly: true},
		Process: &specs.Process{
			Terminal: true,
			User:     specs.User{UID: 0, GID: 0},
			Args:     []string{"sh"},
			Env: []string{
				"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"TERM=xterm",
			},
			Cwd:             "/",
			NoNewPrivileges: true,
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  caps(),
				Effective: caps(),
				Permitted: caps(),
			},
			Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		},
		Hostname: Hostname,
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs",
				Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts",
				Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
				Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue",
				Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs",
				Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup",
				Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		},
		Linux: &specs.Linux{
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.NetworkNamespace},
				{Type: specs.IPCNamespace},
				{Type: specs.UTSNamespace},
				{Type: specs.MountNamespace},
			},
			MaskedPaths: []string{
				"/proc/acpi",
				"/proc/asound",
				"/proc/kcore",
				"/proc/keys",
				"/proc/latency_stats",
				"/proc/timer_list",
				"/proc/timer_stats",
				"/proc/sched_debug",
				"/sys/firmware",
				"/proc/scsi",
				"/sys/devices/virtual/powercap",
			},
			ReadonlyPaths: []string{
				"/proc/bus",
				"/proc/fs",
				"/proc/irq",
				"/proc/sys",
				"/proc/sysrq-trigger",
			},
		},
	}
	if cgroupNamespace {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	return s
}
