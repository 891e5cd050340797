package libcontainer

import (
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/gocontainer/gocontainer/libcontainer/internal/capabilities"
	"github.com/gocontainer/gocontainer/libcontainer/internal/procattr"
	"github.com/gocontainer/gocontainer/libcontainer/internal/rootfs"
	"github.com/gocontainer/gocontainer/libseccomp"
)

// Features reports what this runtime implements, in runtime-spec's
// features document (features.md), for the "features" command. Every list
// comes from the code that implements it, so the document cannot claim
// what the runtime would refuse: a feature checkSupported refuses is
// reported as disabled.
func Features() *features.Features {
	yes := true
	var namespaces []string
	for _, t := range namespaceOrder {
		namespaces = append(namespaces, string(t))
	}
	slices.Sort(namespaces)

	actions := libseccomp.KnownActions()
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions:  rootfs.MountOptionNames(),
		Linux: &features.Linux{
			Namespaces:   namespaces,
			Capabilities: capabilities.Names(),
			// linux.resources.rdma is applied on v1 and v2 (libcgroups).
			Cgroup: &features.Cgroup{V1: &yes, V2: &yes, Systemd: &yes, SystemdUser: &yes, Rdma: &yes},
			Seccomp: &features.Seccomp{
				Enabled:        &yes,
				Actions:        actions,
				Operators:      libseccomp.KnownOperators(),
				Archs:          libseccomp.KnownArchs(),
				KnownFlags:     libseccomp.KnownFlags(),
				SupportedFlags: libseccomp.KnownFlags(),
			},
			// Compiled-in support, not the host's (features-linux.md):
			// create refuses a profile or intelRdt the host lacks.
			Apparmor:        &features.Apparmor{Enabled: &yes},
			Selinux:         &features.Selinux{Enabled: &yes},
			IntelRdt:        &features.IntelRdt{Enabled: &yes, Schemata: &yes, Monitoring: &yes},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &yes}},
			NetDevices:      &features.NetDevices{Enabled: &yes},
			MemoryPolicy: &features.MemoryPolicy{
				Modes: procattr.MemoryPolicyModes(),
				Flags: procattr.MemoryPolicyFlags(),
			},
		},
		Annotations: map[string]string{
			"io.github.seccomp.libseccomp.version": libseccomp.Version(),
		},
	}
}
