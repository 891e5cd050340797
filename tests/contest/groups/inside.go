package groups

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
	"github.com/gocontainer/gocontainer/tests/contest/support"
)

func insideGroups(env *support.Env) []*framework.TestGroup {
	return []*framework.TestGroup{
		group("example", inside(env, "hello_world", "hello_world", nil, nil)),
		pathsGroup(env, "readonly_paths", "readonly"),
		pathsGroup(env, "masked_paths", "masked"),
		group("set_host_name",
			inside(env, "set_host_name_test", "set_host_name", func(s *specs.Spec) { s.Hostname = "hostname-specific" }, nil),
			inside(env, "set_empty_host_name_test", "set_host_name", func(s *specs.Spec) {
				// No hostname with a new UTS namespace: the runtime leaves
				// the inherited one, so the check compares with the host's.
				s.Hostname = ""
				s.Process.Env = append(s.Process.Env, "CONTEST_HOSTNAME="+hostName())
			}, nil),
		),
		group("domainname_test", inside(env, "set_domainname_test", "domainname_test", func(s *specs.Spec) {
			s.Domainname = "contest-domain"
		}, nil)),
		group("sysctl", inside(env, "sysctl_test", "sysctl", func(s *specs.Spec) {
			s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1", "kernel.msgmax": "4096", "kernel.domainname": "sysctl.example"}
		}, nil)),
		group("set_scheduler_policy",
			inside(env, "policy_other", "scheduler_policy_other", func(s *specs.Spec) {
				s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedOther, Nice: 5}
			}, nil),
			inside(env, "policy_batch", "scheduler_policy_batch", func(s *specs.Spec) {
				s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedBatch, Nice: 3}
			}, nil),
		),
		group("set_io_priority",
			inside(env, "io_priority_class_rt", "io_priority_class_rt", func(s *specs.Spec) {
				s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_RT, Priority: 1}
			}, nil),
			inside(env, "io_priority_class_be", "io_priority_class_be", func(s *specs.Spec) {
				s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 2}
			}, nil),
			inside(env, "io_priority_class_idle", "io_priority_class_idle", func(s *specs.Spec) {
				s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_IDLE, Priority: 0}
			}, nil),
		),
		memoryPolicyGroup(env),
		devicesGroup(env),
		group("root_readonly",
			inside(env, "root_readonly_true_test", "root_readonly", func(s *specs.Spec) { s.Root.Readonly = true }, nil),
			inside(env, "root_readonly_true_in_userns_test", "root_readonly", func(s *specs.Spec) {
				s.Root.Readonly = true
				userns(s, 0)
			}, nil),
			inside(env, "root_readonly_false_test", "root_readonly", func(s *specs.Spec) { s.Root.Readonly = false }, nil),
		),
		rootfsPropagationGroup(env),
		group("uid_mappings", inside(env, "uid_mappings", "uid_mappings", func(s *specs.Spec) { userns(s, 100000) }, &support.InsideOpts{
			Setup: func(b *support.Bundle) error { return os.Chmod(b.Dir, 0o755) },
		})),
		group("seccomp", inside(env, "seccomp_test", "seccomp", func(s *specs.Spec) {
			s.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
				Syscalls: []specs.LinuxSyscall{{
					Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: support.Ptr(uint(unix.EACCES)),
				}},
			}
		}, nil)),
		group("no_pivot", inside(env, "no_pivot_test", "no_pivot", nil, &support.InsideOpts{
			CreateArgs: []string{"--no-pivot"},
			// runtimetest compares / with the bundle's rootfs as made.
			Setup: func(b *support.Bundle) error {
				ents, err := os.ReadDir(b.Rootfs())
				if err != nil {
					return err
				}
				var dirs []string
				for _, e := range ents {
					if e.IsDir() {
						dirs = append(dirs, e.Name())
					}
				}
				b.Spec.Process.Env = append(b.Spec.Process.Env, "CONTEST_ROOT_DIRS="+strings.Join(dirs, ","))
				return nil
			},
		})),
		personalityGroup(env),
		timeNSGroup(env),
	}
}

func hostName() string {
	h, _ := os.Hostname()
	return h
}

// userns gives s a user namespace mapping container ids 0-65535 to host
// ids from host, and drops the cgroupfs mount a user namespace cannot
// make.
func userns(s *specs.Spec, host uint32) {
	support.AddNamespace(s, specs.UserNamespace)
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: host, Size: 65536}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: host, Size: 65536}}
	var ms []specs.Mount
	for _, m := range s.Mounts {
		if m.Destination != "/sys/fs/cgroup" {
			ms = append(ms, m)
		}
	}
	s.Mounts = ms
}

// pathsGroup: youki's readonly_paths and masked_paths groups, four tests
// each: absolute paths, relative paths, symlinks, device nodes.
func pathsGroup(env *support.Env, name, kind string) *framework.TestGroup {
	set := func(s *specs.Spec, paths ...string) {
		if kind == "readonly" {
			s.Linux.ReadonlyPaths = append(s.Linux.ReadonlyPaths, paths...)
		} else {
			s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, paths...)
		}
	}
	mk := func(files ...string) *support.InsideOpts {
		return &support.InsideOpts{Setup: func(b *support.Bundle) error {
			for _, f := range files {
				p := filepath.Join(b.Rootfs(), f)
				if filepath.Ext(f) == ".d" {
					if err := os.MkdirAll(filepath.Join(p, "inner"), 0o755); err != nil {
						return err
					}
					continue
				}
				if err := os.WriteFile(p, []byte("secret\n"), 0o644); err != nil {
					return err
				}
			}
			return nil
		}}
	}
	return group(name,
		// youki's layout: a directory and a file, and a directory, a file
		// and a file in a directory below the first directory.
		inside(env, name, name, func(s *specs.Spec) {
			d, f, sub := "/"+kind+"-dir", kind+"-file", kind+"-subdir"
			set(s, d, "/"+f, d+"/"+sub, d+"/"+f, d+"/"+sub+"/"+f)
		}, &support.InsideOpts{Setup: func(b *support.Bundle) error {
			d, f, sub := filepath.Join(b.Rootfs(), kind+"-dir"), kind+"-file", kind+"-subdir"
			if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
				return err
			}
			for _, p := range []string{filepath.Join(b.Rootfs(), f), filepath.Join(d, f), filepath.Join(d, sub, f), filepath.Join(d, sub, "tmp")} {
				if err := os.WriteFile(p, []byte("secrets\n"), 0o644); err != nil {
					return err
				}
			}
			return nil
		}}),
		// runtime-spec says these paths MUST be absolute: a runtime may
		// refuse the config (with an error naming the path) or resolve the
		// path from the container's root; what it may not do is leave it
		// unprotected.
		framework.NewTest(kind+"_rel_paths", func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			set(s, kind+"_relpath")
			err := env.TestInsideContainer(t, s, name, mk(kind+"_relpath"))
			if err != nil && strings.HasPrefix(err.Error(), "create:") && strings.Contains(err.Error(), kind+"_relpath") {
				return framework.Pass()
			}
			return framework.FromError(err)
		}),
		inside(env, kind+"_symlinks", name, func(s *specs.Spec) { set(s, "/"+kind+"_symlink") }, &support.InsideOpts{
			Setup: func(b *support.Bundle) error {
				if err := os.WriteFile(filepath.Join(b.Rootfs(), kind+"_target"), []byte("secret\n"), 0o644); err != nil {
					return err
				}
				return os.Symlink(kind+"_target", filepath.Join(b.Rootfs(), kind+"_symlink"))
			},
		}),
		inside(env, kind+"_device_nodes", name, func(s *specs.Spec) {
			// /dev/zero's numbers: unmasked it reads zeros, not nothing.
			dev := "/dev/contest_" + kind
			s.Linux.Devices = append(s.Linux.Devices, specs.LinuxDevice{Path: dev, Type: "c", Major: 1, Minor: 5, FileMode: support.Ptr(os.FileMode(0o666))})
			s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: support.Ptr(int64(1)), Minor: support.Ptr(int64(5)), Access: "rwm"})
			set(s, dev)
		}, nil),
	)
}

func memoryPolicyGroup(env *support.Env) *framework.TestGroup {
	mp := func(mode specs.MemoryPolicyModeType, nodes string, flags ...specs.MemoryPolicyFlagType) func(*specs.Spec) {
		return func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: mode, Nodes: nodes, Flags: flags}
		}
	}
	return group("memory_policy",
		inside(env, "interleave_without_flags", "memory_policy", mp(specs.MpolInterleave, "0"), nil),
		inside(env, "bind_static", "memory_policy", mp(specs.MpolBind, "0", specs.MpolFStaticNodes), nil),
		inside(env, "preferred_relative", "memory_policy", mp(specs.MpolPreferred, "0", specs.MpolFRelativeNodes), nil),
		inside(env, "default_with_missing_nodes_ok", "memory_policy", mp(specs.MpolDefault, ""), nil),
		createFails(env, "invalid_mode_string", "MPOL_INVALID", mp("MPOL_INVALID", "0")),
		createFails(env, "invalid_flag_string", "MPOL_F_INVALID", mp(specs.MpolBind, "0", "MPOL_F_INVALID")),
		createFails(env, "missing_mode_but_nodes_present", "mode", mp("", "0")),
		createFailsOrProcessFails(env, "syscall_invalid_arguments", mp(specs.MpolDefault, "0")),
		createFailsOrProcessFails(env, "bind_way_too_large_node_number", mp(specs.MpolBind, "4095")),
	)
}

// createFailsOrProcessFails: the kernel rejects the setting; the runtime
// must fail create, or start (an init that fails after create's handshake).
func createFailsOrProcessFails(env *support.Env, name string, edit func(*specs.Spec)) *framework.Test {
	return framework.NewTest(name, func(t *framework.T) framework.Result {
		s := support.DefaultSpec()
		edit(s)
		s.Process.Args = []string{"/bin/runtimetest", "hello_world"}
		c, err := env.NewContainer(t, s)
		if err != nil {
			return framework.Fail(err)
		}
		stdout, _, err := c.RunToCompletion(t.Context(), nil, nil)
		if err != nil {
			return framework.Pass()
		}
		return framework.Failf("container ran (stdout %q), want create or start to fail", stdout)
	})
}

func devicesGroup(env *support.Env) *framework.TestGroup {
	allow := func(s *specs.Spec, typ string, major, minor int64) {
		s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{
			Allow: true, Type: typ, Major: &major, Minor: &minor, Access: "rwm"})
	}
	return group("devices",
		inside(env, "device_test", "devices", func(s *specs.Spec) {
			s.Linux.Devices = []specs.LinuxDevice{
				{Path: "/dev/test_char", Type: "c", Major: 1, Minor: 8, FileMode: support.Ptr(os.FileMode(0o640)), UID: support.Ptr(uint32(1000)), GID: support.Ptr(uint32(1001))},
				{Path: "/dev/test_block", Type: "b", Major: 7, Minor: 200, FileMode: support.Ptr(os.FileMode(0o600)), UID: support.Ptr(uint32(0)), GID: support.Ptr(uint32(0))},
				{Path: "/dev/test_fifo", Type: "p", FileMode: support.Ptr(os.FileMode(0o644))},
				{Path: "/dev/sub/test_nested", Type: "c", Major: 1, Minor: 9},
			}
			allow(s, "c", 1, 8)
			allow(s, "b", 7, 200)
			allow(s, "c", 1, 9)
		}, nil),
		inside(env, "device_default_permissions", "devices", func(s *specs.Spec) {
			// No fileMode, uid or gid: the node must still be made, with the
			// numbers asked for.
			s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/test_default", Type: "c", Major: 1, Minor: 7}}
			allow(s, "c", 1, 7)
		}, nil),
	)
}

func rootfsPropagationGroup(env *support.Env) *framework.TestGroup {
	g := framework.NewTestGroup("rootfs_propagation")
	for _, p := range []string{"shared", "slave", "private", "unbindable"} {
		g.Add(inside(env, "rootfs_propagation_"+p+"_test", "rootfs_propagation", func(s *specs.Spec) {
			s.Linux.RootfsPropagation = p
			if !support.MountShared(env.WorkDir) {
				s.Process.Env = append(s.Process.Env, "CONTEST_HOST_PRIVATE=1")
			}
		}, nil))
	}
	return g
}

func personalityGroup(env *support.Env) *framework.TestGroup {
	isAmd64 := func() (bool, string) {
		if runtime.GOARCH == "amd64" {
			return true, ""
		}
		return false, "personality tests need an x86_64 host"
	}
	mk := func(name string, d specs.LinuxPersonalityDomain) *framework.ConditionalTest {
		return framework.NewConditionalTest(name, isAmd64, func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			s.Linux.Personality = &specs.LinuxPersonality{Domain: d}
			return framework.FromError(env.TestInsideContainer(t, s, "personality", nil))
		})
	}
	return group("personality", mk("personality_for_linux32", specs.PerLinux32), mk("personality_for_linux64", specs.PerLinux))
}

func timeNSGroup(env *support.Env) *framework.TestGroup {
	offsets := map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 7881, Nanosecs: 2200}, "boottime": {Secs: 1337, Nanosecs: 3141519}}
	hasTimeNS := func() (bool, string) {
		if support.KernelHas("/proc/self/ns/time") {
			return true, ""
		}
		return false, "kernel without time namespaces"
	}
	mk := func(name string, edit func(*specs.Spec)) *framework.ConditionalTest {
		return framework.NewConditionalTest(name, hasTimeNS, func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			support.AddNamespace(s, specs.TimeNamespace)
			edit(s)
			return framework.FromError(env.TestInsideContainer(t, s, "time_offsets", nil))
		})
	}
	return group("time_ns",
		mk("simple_timens", func(s *specs.Spec) { s.Linux.TimeOffsets = offsets }),
		mk("timens_with_no_offsets", func(s *specs.Spec) {}),
		mk("simple_timens_userns", func(s *specs.Spec) { s.Linux.TimeOffsets = offsets; userns(s, 0) }),
		framework.NewConditionalTest("simple_timens_exec", hasTimeNS, func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			support.AddNamespace(s, specs.TimeNamespace)
			s.Linux.TimeOffsets = offsets
			return framework.FromError(execCheck(env, t, s, "time_offsets", nil))
		}),
	)
}
