package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/libcontainer/internal/rootfs"
)

// cgroupResources is linux.resources as the container's cgroup gets it at
// create: the spec's limits, with the device rule list cgroupDeviceRules
// builds. Nil when the spec has no linux section.
func cgroupResources(spec *specs.Spec) *specs.LinuxResources {
	if spec.Linux == nil {
		return nil
	}
	var r specs.LinuxResources
	if spec.Linux.Resources != nil {
		r = *spec.Linux.Resources
	}
	r.Devices = cgroupDeviceRules(spec.Linux)
	return &r
}

// cgroupDeviceRules is the device cgroup rule list of a new container, in
// runc's order: linux.resources.devices as written, then an allow rule
// for each block or character device linux.devices creates (the
// container must be able to use the devices it is given), then the rules every container gets: mknod
// of any device, the runtime-spec default devices, /dev/console,
// /dev/ptmx and /dev/pts/*. Both cgroup drivers start from deny-all, so a
// spec without device rules gets exactly these.
func cgroupDeviceRules(l *specs.Linux) []specs.LinuxDeviceCgroup {
	var rules []specs.LinuxDeviceCgroup
	if l.Resources != nil {
		rules = append(rules, l.Resources.Devices...)
	}
	for _, d := range l.Devices {
		switch d.Type {
		case "b", "c":
			rules = append(rules, allowDevice(d.Type, d.Major, d.Minor))
		case "u": // unbuffered character device: a char device to the kernel
			rules = append(rules, allowDevice("c", d.Major, d.Minor))
		}
		// A FIFO ("p") is no device to the device controller.
	}
	rules = append(rules,
		allowDevice("c", -1, -1, "m"),
		allowDevice("b", -1, -1, "m"),
	)
	for _, d := range rootfs.DefaultDevices {
		rules = append(rules, allowDevice(d.Type, d.Major, d.Minor))
	}
	return append(rules,
		allowDevice("c", 5, 1),    // /dev/console
		allowDevice("c", 5, 2),    // /dev/ptmx
		allowDevice("c", 136, -1), // /dev/pts/*
	)
}

// allowDevice is an allow rule; -1 is any major or minor, access defaults
// to rwm.
func allowDevice(typ string, major, minor int64, access ...string) specs.LinuxDeviceCgroup {
	r := specs.LinuxDeviceCgroup{Allow: true, Type: typ, Access: "rwm"}
	if len(access) > 0 {
		r.Access = access[0]
	}
	if major >= 0 {
		r.Major = &major
	}
	if minor >= 0 {
		r.Minor = &minor
	}
	return r
}
