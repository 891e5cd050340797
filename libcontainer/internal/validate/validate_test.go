package validate

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcontainer/internal/logtest"
)

func TestID(t *testing.T) {
	tests := []struct {
		id   string
		want string
	}{
		{"abc", ""},
		{"my-container_1.2+x", ""},
		{"...", ""},
		{strings.Repeat("a", 1024), ""},
		{"", "invalid container id: must not be empty"},
		{".", `invalid container id ".": reserved name`},
		{"..", `invalid container id "..": reserved name`},
		{"a/b", `invalid container id "a/b": only letters, digits and _ + - . are allowed`},
		{"../etc", `invalid container id "../etc": only letters, digits and _ + - . are allowed`},
		{"a b", `invalid container id "a b": only letters, digits and _ + - . are allowed`},
		{"a\nb", `invalid container id "a\nb": only letters, digits and _ + - . are allowed`},
		{"é", `invalid container id "é": only letters, digits and _ + - . are allowed`},
		{"a:b", `invalid container id "a:b": only letters, digits and _ + - . are allowed`},
		{strings.Repeat("a", 1025), "invalid container id: 1025 bytes long, at most 1024 allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			err := ID(tc.id)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.want)
			require.ErrorIs(t, err, ErrInvalidID)
		})
	}
}

func ip(i int) *int                   { return &i }
func u32(u uint32) *uint32            { return &u }
func mode(m os.FileMode) *os.FileMode { return &m }

// bundle makes a bundle directory with a rootfs and returns it.
func bundle(t testing.TB) string {
	t.Helper()
	b := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(b, "rootfs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(b, "file"), nil, 0o644))
	return b
}

// validSpec is a config like `runc spec` makes, with every field these
// checks look at set to something valid.
func validSpec() *specs.Spec {
	return &specs.Spec{
		Version: "1.3.0",
		Root:    &specs.Root{Path: "rootfs"},
		Process: &specs.Process{
			Args: []string{"sh"},
			Cwd:  "/",
			Env:  []string{"PATH=/usr/bin:/bin", "TERM=xterm", "EMPTY="},
			User: specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{10}, Umask: u32(0o022)},
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
				Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"},
			},
			Rlimits:     []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 1024}, {Type: "RLIMIT_CORE"}},
			OOMScoreAdj: ip(100),
			Scheduler:   &specs.Scheduler{Policy: specs.SchedFIFO, Priority: 10},
			IOPriority:  &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 4},
		},
		Hostname: "box",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/data", Type: "bind", Source: "/srv/data", Options: []string{"rbind", "ro"}},
		},
		Hooks: &specs.Hooks{
			CreateRuntime: []specs.Hook{{Path: "/usr/bin/hook", Args: []string{"hook", "x"}, Env: []string{"A=b"}, Timeout: ip(5)}},
			Poststop:      []specs.Hook{{Path: "/usr/bin/cleanup"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace}, {Type: specs.MountNamespace},
				{Type: specs.IPCNamespace}, {Type: specs.UTSNamespace}, {Type: specs.CgroupNamespace},
			},
			Sysctl: map[string]string{
				"net.ipv4.ip_forward": "1", "kernel.shmmax": "1000", "fs.mqueue.msg_max": "20",
				"kernel.domainname": "example", "net/ipv4/conf/eth0.100/forwarding": "1",
			},
			Devices:     []specs.LinuxDevice{{Type: "c", Path: "/dev/fuse", Major: 10, Minor: 229, FileMode: mode(0o666)}},
			Resources:   &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Access: "rw"}}},
			CgroupsPath: "/gocontainer/box",
			MaskedPaths: []string{"/proc/kcore"}, ReadonlyPaths: []string{"/proc/sys"},
			RootfsPropagation: "rslave",
		},
	}
}

func TestSpecAcceptsAValidConfig(t *testing.T) {
	require.NoError(t, Spec(validSpec(), bundle(t)))
}

func TestSpecRules(t *testing.T) {
	b := bundle(t)
	tests := []struct {
		name   string
		mutate func(s *specs.Spec)
		opts   []Option
		want   string // "" means valid
	}{
		// ociVersion
		{"version missing", func(s *specs.Spec) { s.Version = "" }, nil, "ociVersion: must be set"},
		{"version not semver", func(s *specs.Spec) { s.Version = "1.0" }, nil, `ociVersion: "1.0" is not a semantic version (MAJOR.MINOR.PATCH)`},
		{"version major 2", func(s *specs.Spec) { s.Version = "2.0.0" }, nil, `ociVersion: "2.0.0": unsupported major version 2, this runtime implements 1.x (up to ` + specs.Version + `)`},
		{"version major 0", func(s *specs.Spec) { s.Version = "0.6.0" }, nil, `ociVersion: "0.6.0": unsupported major version 0, this runtime implements 1.x (up to ` + specs.Version + `)`},
		{"version prerelease ok", func(s *specs.Spec) { s.Version = "1.0.2-dev" }, nil, ""},
		{"version newer minor ok", func(s *specs.Spec) { s.Version = "1.9.0+build.1" }, nil, ""},
		// root
		{"root missing", func(s *specs.Spec) { s.Root = nil }, nil, "root: must be set"},
		{"root path empty", func(s *specs.Spec) { s.Root.Path = "" }, nil, "root.path: must not be empty"},
		{"root missing dir", func(s *specs.Spec) { s.Root.Path = "nope" }, nil, "root.path: " + b + "/nope: no such file or directory"},
		{"root is a file", func(s *specs.Spec) { s.Root.Path = "file" }, nil, "root.path: " + b + "/file: is not a directory"},
		{"root absolute", func(s *specs.Spec) { s.Root.Path = filepath.Join(b, "rootfs") }, nil, ""},
		// process
		{"process missing", func(s *specs.Spec) { s.Process = nil }, nil, "process: must be set"},
		{"process optional", func(s *specs.Spec) { s.Process = nil }, []Option{WithoutProcess()}, ""},
		{"args empty", func(s *specs.Spec) { s.Process.Args = nil }, nil, "process.args: must not be empty"},
		{"args0 empty", func(s *specs.Spec) { s.Process.Args = []string{""} }, nil, "process.args[0]: must not be empty"},
		{"args NUL", func(s *specs.Spec) { s.Process.Args = []string{"sh", "a\x00b"} }, nil, "process.args[1]: contains a NUL byte"},
		{"cwd empty", func(s *specs.Spec) { s.Process.Cwd = "" }, nil, "process.cwd: must not be empty"},
		{"cwd relative", func(s *specs.Spec) { s.Process.Cwd = "x" }, nil, `process.cwd: "x" is not an absolute path`},
		{"env no =", func(s *specs.Spec) { s.Process.Env = []string{"A=1", "FOO"} }, nil, `process.env[1]: "FOO" is not in KEY=value form`},
		{"env empty name", func(s *specs.Spec) { s.Process.Env = []string{"=x"} }, nil, `process.env[0]: "=x" has an empty name`},
		{"env NUL", func(s *specs.Spec) { s.Process.Env = []string{"A=x\x00y"} }, nil, `process.env[0]: "A=x\x00y" contains a NUL byte`},
		{"uid -1", func(s *specs.Spec) { s.Process.User.UID = 1<<32 - 1 }, nil, "process.user.uid: 4294967295 is not a valid id"},
		{"gid -1", func(s *specs.Spec) { s.Process.User.GID = 1<<32 - 1 }, nil, "process.user.gid: 4294967295 is not a valid id"},
		{"additional gid -1", func(s *specs.Spec) { s.Process.User.AdditionalGids = []uint32{1, 1<<32 - 1} }, nil, "process.user.additionalGids[1]: 4294967295 is not a valid id"},
		{"umask", func(s *specs.Spec) { s.Process.User.Umask = u32(0o1777) }, nil, "process.user.umask: 01777 is out of range 0..0777"},
		{"username ignored", func(s *specs.Spec) { s.Process.User.Username = "whatever" }, nil, ""},
		{"cap unknown is the init's warning", func(s *specs.Spec) { s.Process.Capabilities.Bounding = []string{"CAP_FOO"} }, nil, ""},
		{"rlimit type", func(s *specs.Spec) { s.Process.Rlimits[1].Type = "RLIMIT_FOO" }, nil, `process.rlimits[1].type: unknown rlimit type "RLIMIT_FOO"`},
		{"rlimit soft>hard", func(s *specs.Spec) { s.Process.Rlimits[0].Soft = 2048 }, nil, "process.rlimits[0]: soft limit 2048 is greater than hard limit 1024"},
		{"rlimit dup", func(s *specs.Spec) { s.Process.Rlimits[1].Type = "RLIMIT_NOFILE" }, nil, "process.rlimits[1].type: duplicate RLIMIT_NOFILE (also process.rlimits[0])"},
		{"oom low", func(s *specs.Spec) { s.Process.OOMScoreAdj = ip(-1001) }, nil, "process.oomScoreAdj: -1001 is out of range -1000..1000"},
		{"oom high", func(s *specs.Spec) { s.Process.OOMScoreAdj = ip(1001) }, nil, "process.oomScoreAdj: 1001 is out of range -1000..1000"},
		{"oom edge", func(s *specs.Spec) { s.Process.OOMScoreAdj = ip(-1000) }, nil, ""},
		{"sched policy", func(s *specs.Spec) { s.Process.Scheduler.Policy = "SCHED_FAST" }, nil, `process.scheduler.policy: unknown policy "SCHED_FAST"`},
		{"sched nice", func(s *specs.Spec) { s.Process.Scheduler.Nice = 20 }, nil, "process.scheduler.nice: 20 is out of range -20..19"},
		{"sched prio", func(s *specs.Spec) { s.Process.Scheduler.Policy = specs.SchedOther }, nil, "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority"},
		{"sched deadline", func(s *specs.Spec) { s.Process.Scheduler.Runtime = 5 }, nil, "process.scheduler: runtime, deadline and period are only for SCHED_DEADLINE"},
		{"sched flag", func(s *specs.Spec) { s.Process.Scheduler.Flags = []specs.LinuxSchedulerFlag{"X"} }, nil, `process.scheduler.flags[0]: unknown flag "X"`},
		{"ioprio class", func(s *specs.Spec) { s.Process.IOPriority.Class = "RT" }, nil, `process.ioPriority.class: unknown class "RT"`},
		{"ioprio prio", func(s *specs.Spec) { s.Process.IOPriority.Priority = 8 }, nil, "process.ioPriority.priority: 8 is out of range 0..7"},
		// namespaces
		{"ns unknown", func(s *specs.Spec) { s.Linux.Namespaces[2].Type = "foo" }, nil, `linux.namespaces[2].type: unknown namespace type "foo"`},
		{"ns dup", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.PIDNamespace, Path: "/proc/1/ns/pid"})
		}, nil, `linux.namespaces[6].type: duplicate namespace type "pid" (also linux.namespaces[0])`},
		{"ns relative path", func(s *specs.Spec) { s.Linux.Namespaces[0].Path = "proc/1/ns/pid" }, nil, `linux.namespaces[0].path: "proc/1/ns/pid" is not an absolute path`},
		{"hostname without uts", func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[:4]; s.Linux.Sysctl = nil }, nil, "hostname: cannot be set without a uts namespace in linux.namespaces"},
		{"domainname without uts", func(s *specs.Spec) {
			s.Linux.Namespaces = s.Linux.Namespaces[:4]
			s.Hostname, s.Domainname, s.Linux.Sysctl = "", "d", nil
		}, nil, "domainname: cannot be set without a uts namespace in linux.namespaces"},
		{"no linux at all", func(s *specs.Spec) { s.Linux = nil; s.Hostname = "" }, nil, ""},
		// mounts
		{"mount dest empty", func(s *specs.Spec) { s.Mounts[1].Destination = "" }, nil, "mounts[1].destination: must not be empty"},
		{"bind without source", func(s *specs.Spec) { s.Mounts[1].Source = "" }, nil, "mounts[1].source: must not be empty for a bind mount"},
		{"idmap not bind", func(s *specs.Spec) {
			s.Mounts[0].UIDMappings = []specs.LinuxIDMapping{{Size: 1}}
			s.Mounts[0].GIDMappings = []specs.LinuxIDMapping{{Size: 1}}
		}, nil, "mounts[0]: uidMappings/gidMappings are only supported for bind mounts"},
		{"idmap half", func(s *specs.Spec) { s.Mounts[1].UIDMappings = []specs.LinuxIDMapping{{Size: 1}} }, nil, "mounts[1]: an idmapped mount needs both uidMappings and gidMappings"},
		// hooks
		{"hook relative", func(s *specs.Spec) {
			//lint:ignore SA1019 the deprecated prestart list is still validated
			s.Hooks.Prestart = []specs.Hook{{Path: "hook"}}
		}, nil, `hooks.prestart[0].path: "hook" is not an absolute path`},
		{"hook empty", func(s *specs.Spec) { s.Hooks.StartContainer = []specs.Hook{{Path: "/a"}, {}} }, nil, "hooks.startContainer[1].path: must not be empty"},
		{"hook timeout 0", func(s *specs.Spec) { s.Hooks.CreateRuntime[0].Timeout = ip(0) }, nil, "hooks.createRuntime[0].timeout: 0 must be greater than zero"},
		{"hook timeout negative", func(s *specs.Spec) { s.Hooks.Poststop[0].Timeout = ip(-3) }, nil, "hooks.poststop[0].timeout: -3 must be greater than zero"},
		{"hook env", func(s *specs.Spec) { s.Hooks.CreateRuntime[0].Env = []string{"X"} }, nil, `hooks.createRuntime[0].env[0]: "X" is not in KEY=value form`},
		// user namespace and mappings
		{"mappings without userns", func(s *specs.Spec) { s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}} }, nil, "linux.uidMappings: set, but linux.namespaces has no user namespace"},
		{"gid mappings without userns", func(s *specs.Spec) { s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}} }, nil, "linux.gidMappings: set, but linux.namespaces has no user namespace"},
		{"new userns without mappings", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		}, nil, "linux.uidMappings: a new user namespace (linux.namespaces[6]) needs uid mappings"},
		{"new userns without gid mappings", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
		}, nil, "linux.gidMappings: a new user namespace (linux.namespaces[6]) needs gid mappings"},
		{"new userns with mappings", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 65536}}
		}, nil, ""},
		{"joined userns without mappings", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: "/proc/1/ns/user"})
		}, nil, ""},
		{"mapping size 0", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 0}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{HostID: 100000, Size: 1}}
		}, nil, "linux.uidMappings[0].size: must be greater than zero"},
		{"mapping overlap", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{HostID: 1000, Size: 1}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100, Size: 10}, {ContainerID: 5, HostID: 500, Size: 1}}
		}, nil, "linux.gidMappings[1].containerID: range overlaps linux.gidMappings[0]"},
		{"mapping overflow", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 1<<32 - 1, HostID: 1, Size: 2}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{Size: 1}}
		}, nil, "linux.uidMappings[0]: range exceeds the 32-bit id space"},
		// sysctls
		{"sysctl ipc without ipc ns", func(s *specs.Spec) { s.Linux.Namespaces = append(s.Linux.Namespaces[:3], s.Linux.Namespaces[4:]...) }, nil, `linux.sysctl["fs.mqueue.msg_max"]: needs an ipc namespace in linux.namespaces`},
		{"sysctl net without net ns", func(s *specs.Spec) { s.Linux.Namespaces = append(s.Linux.Namespaces[:1], s.Linux.Namespaces[2:]...) }, nil, `linux.sysctl["net.ipv4.ip_forward"]: needs a network namespace in linux.namespaces`},
		{"sysctl net in host netns", func(s *specs.Spec) { s.Linux.Namespaces[1].Path = "/proc/self/ns/net" }, nil, `linux.sysctl["net.ipv4.ip_forward"]: not allowed: linux.namespaces[1].path /proc/self/ns/net is the host's network namespace`},
		{"sysctl net netns path missing", func(s *specs.Spec) { s.Linux.Namespaces[1].Path = "/nonexistent/ns" }, nil, `linux.namespaces[1].path: stat /nonexistent/ns: no such file or directory`},
		{"sysctl net joined host netns (override)", func(s *specs.Spec) { s.Linux.Namespaces[1].Path = filepath.Join(b, "file") },
			[]Option{withHostNetNS(filepath.Join(b, "file"))}, `linux.sysctl["net.ipv4.ip_forward"]: not allowed: linux.namespaces[1].path ` + filepath.Join(b, "file") + ` is the host's network namespace`},
		{"sysctl net other netns", func(s *specs.Spec) { s.Linux.Namespaces[1].Path = filepath.Join(b, "file") }, nil, ""},
		{"sysctl domainname without uts", func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[:4]; s.Hostname = "" }, nil, `linux.sysctl["kernel.domainname"]: needs a uts namespace in linux.namespaces`},
		{"sysctl hostname conflicts", func(s *specs.Spec) { s.Linux.Sysctl["kernel.hostname"] = "x" }, nil, `linux.sysctl["kernel.hostname"]: "x" conflicts with the hostname field "box"`},
		{"sysctl hostname repeats the field", func(s *specs.Spec) { s.Linux.Sysctl["kernel.hostname"] = "box" }, nil, ""},
		{"sysctl domainname conflicts", func(s *specs.Spec) { s.Domainname = "a.example"; s.Linux.Sysctl["kernel.domainname"] = "b.example" }, nil, `linux.sysctl["kernel.domainname"]: "b.example" conflicts with the domainname field "a.example"`},
		{"sysctl not namespaced", func(s *specs.Spec) { s.Linux.Sysctl["vm.swappiness"] = "0" }, nil, `linux.sysctl["vm.swappiness"]: not namespaced: a container may not set it`},
		{"sysctl kernel.msg prefix only exact", func(s *specs.Spec) { s.Linux.Sysctl["kernel.msgfoo"] = "0" }, nil, `linux.sysctl["kernel.msgfoo"]: not namespaced: a container may not set it`},
		{"sysctl traversal", func(s *specs.Spec) { s.Linux.Sysctl["net/../../kernel/core_pattern"] = "|/x" }, nil, `linux.sysctl["net/../../kernel/core_pattern"]: sysctl key "net/../../kernel/core_pattern" has an invalid component ".."`},
		{"sysctl slash ipc", func(s *specs.Spec) { s.Linux.Sysctl["kernel/shmmni"] = "1" }, nil, ""},
		// devices
		{"device type", func(s *specs.Spec) { s.Linux.Devices[0].Type = "x" }, nil, `linux.devices[0].type: "x" is not one of c, b, u, p`},
		{"device path", func(s *specs.Spec) { s.Linux.Devices[0].Path = "dev/fuse" }, nil, `linux.devices[0].path: "dev/fuse" is not an absolute path`},
		{"device path dev", func(s *specs.Spec) { s.Linux.Devices[0].Path = "/dev/" }, nil, `linux.devices[0].path: "/dev/" cannot be a device node`},
		{"device negative", func(s *specs.Spec) { s.Linux.Devices[0].Major = -1 }, nil, "linux.devices[0]: major -1 / minor 229 must not be negative"},
		{"device mode", func(s *specs.Spec) { s.Linux.Devices[0].FileMode = mode(os.ModeDir | 0o755) }, nil, "linux.devices[0].fileMode: 020000000755 is not a file mode"},
		{"device mode with its file type (podman)", func(s *specs.Spec) { s.Linux.Devices[0].FileMode = mode(0o020666) }, nil, ""},
		{"device mode with another file type", func(s *specs.Spec) { s.Linux.Devices[0].FileMode = mode(0o060666) }, nil, "linux.devices[0].fileMode: 060666 has the file type 060000, not that of a type c device (020000)"},
		{"cgroup device type", func(s *specs.Spec) { s.Linux.Resources.Devices[1].Type = "p" }, nil, `linux.resources.devices[1].type: "p" is not one of a, c, b`},
		{"cgroup device access", func(s *specs.Spec) { s.Linux.Resources.Devices[1].Access = "rwx" }, nil, `linux.resources.devices[1].access: "rwx" may only contain r, w and m`},
		// cgroupsPath
		{"cgroups path dotdot", func(s *specs.Spec) { s.Linux.CgroupsPath = "/a/../../b" }, nil, `linux.cgroupsPath: "/a/../../b" must not contain .. components`},
		{"cgroups relative ok", func(s *specs.Spec) { s.Linux.CgroupsPath = "a/b" }, nil, ""},
		{"systemd ok", func(s *specs.Spec) { s.Linux.CgroupsPath = "system.slice:docker:abc" }, []Option{WithSystemdCgroup(true)}, ""},
		{"systemd empty slice ok", func(s *specs.Spec) { s.Linux.CgroupsPath = ":gocontainer:abc" }, []Option{WithSystemdCgroup(true)}, ""},
		{"systemd wrong shape", func(s *specs.Spec) {}, []Option{WithSystemdCgroup(true)}, `linux.cgroupsPath: "/gocontainer/box" is not in the systemd form slice:prefix:name`},
		{"systemd bad slice", func(s *specs.Spec) { s.Linux.CgroupsPath = "system:docker:abc" }, []Option{WithSystemdCgroup(true)}, `linux.cgroupsPath: "system:docker:abc": slice "system" must end in .slice and contain no /`},
		{"systemd empty name", func(s *specs.Spec) { s.Linux.CgroupsPath = "system.slice:docker:" }, []Option{WithSystemdCgroup(true)}, `linux.cgroupsPath: "system.slice:docker:": prefix and name must not contain /, and name must not be empty`},
		// masked / readonly / propagation
		{"masked relative", func(s *specs.Spec) { s.Linux.MaskedPaths = []string{"proc/kcore"} }, nil, `linux.maskedPaths[0]: "proc/kcore" is not an absolute path`},
		{"readonly without mount ns", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces[:2], s.Linux.Namespaces[3:]...)
			s.Linux.MaskedPaths = nil
		}, nil, "linux.readonlyPaths: needs a mount namespace in linux.namespaces"},
		{"propagation", func(s *specs.Spec) { s.Linux.RootfsPropagation = "weird" }, nil, `linux.rootfsPropagation: unknown propagation "weird"`},
		// time namespace
		{"offsets without timens", func(s *specs.Spec) {
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 10}}
		}, nil, "linux.timeOffsets: needs a new time namespace in linux.namespaces"},
		{"offsets with joined timens", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace, Path: "/proc/1/ns/time"})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 10}}
		}, nil, "linux.timeOffsets: cannot be applied to a time namespace joined by path (linux.namespaces[6].path)"},
		{"offsets unknown clock", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 10}, "realtime": {Secs: 1}}
		}, nil, `linux.timeOffsets["realtime"]: unknown clock, want monotonic or boottime`},
		{"offsets ok", func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
			s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: -10}, "boottime": {Secs: 1, Nanosecs: 5}}
		}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := validSpec()
			tc.mutate(s)
			err := Spec(s, b, tc.opts...)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.want)
			require.NotContains(t, err.Error(), "\n")
			var fe *FieldError
			require.True(t, errors.As(err, &fe))
			require.True(t, strings.HasPrefix(tc.want, fe.Field+": "), "field %q", fe.Field)
		})
	}
}

func TestSpecWarnsAboutRelativeMountDestinations(t *testing.T) {
	s := validSpec()
	s.Mounts[1].Destination = "data"
	log, logs := logtest.New(slog.LevelWarn)
	require.NoError(t, Spec(s, bundle(t), WithLogger(log)))
	require.Equal(t, 1, len(logs.Entries()))
	require.Equal(t, "mounts[1].destination", logs.Entries()[0].Attrs["field"])
	require.Equal(t, "data", logs.Entries()[0].Attrs["destination"])
}

func TestSpecNil(t *testing.T) {
	require.EqualError(t, Spec(nil, ""), "config: empty")
}

func TestSpecIgnoresFifoMajorMinorWithAWarning(t *testing.T) {
	s := validSpec()
	s.Linux.Devices[0].Type = "p"
	log, logs := logtest.New(slog.LevelWarn)
	require.NoError(t, Spec(s, bundle(t), WithLogger(log)))
	require.Equal(t, 1, len(logs.Entries()))
	require.Equal(t, "linux.devices[0]", logs.Entries()[0].Attrs["field"])

	s.Linux.Devices[0].Major, s.Linux.Devices[0].Minor = 0, 0
	log, logs = logtest.New(slog.LevelWarn)
	require.NoError(t, Spec(s, bundle(t), WithLogger(log)))
	require.Equal(t, 0, len(logs.Entries()))
}
