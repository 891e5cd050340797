package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nsInfo is what the runtime needs to know about one namespace type.
type nsInfo struct {
	flag uintptr // CLONE_NEW*
	proc string  // name under /proc/<pid>/ns/
}

// namespaceTypes, in the order /proc/<pid>/ns paths are recorded and
// joined: user first, as nsenter(1) and runc do.
var namespaceOrder = []specs.LinuxNamespaceType{
	specs.UserNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.NetworkNamespace,
	specs.PIDNamespace, specs.MountNamespace, specs.CgroupNamespace, specs.TimeNamespace,
}

var namespaces = map[specs.LinuxNamespaceType]nsInfo{
	specs.PIDNamespace:     {unix.CLONE_NEWPID, "pid"},
	specs.NetworkNamespace: {unix.CLONE_NEWNET, "net"},
	specs.MountNamespace:   {unix.CLONE_NEWNS, "mnt"},
	specs.IPCNamespace:     {unix.CLONE_NEWIPC, "ipc"},
	specs.UTSNamespace:     {unix.CLONE_NEWUTS, "uts"},
	specs.UserNamespace:    {unix.CLONE_NEWUSER, "user"},
	specs.CgroupNamespace:  {unix.CLONE_NEWCGROUP, "cgroup"},
	specs.TimeNamespace:    {unix.CLONE_NEWTIME, "time"},
}

// hasNamespace reports whether the config gives the container its own
// namespace of type t (new or joined).
func hasNamespace(l *specs.Linux, t specs.LinuxNamespaceType) bool {
	if l == nil {
		return false
	}
	for _, ns := range l.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}
