package groups

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
	"github.com/gocontainer/gocontainer/tests/contest/support"
)

func miscGroups(env *support.Env) []*framework.TestGroup {
	return []*framework.TestGroup{
		miscPropsGroup(env), mountsRecursiveGroup(env), prohibitSymlinkGroup(env),
		group("seccomp_notify", framework.NewTest("seccomp_notify", func(t *framework.T) framework.Result {
			return framework.FromError(seccompNotify(env, t))
		})),
		netDevicesGroup(env),
		group("intel_rdt", framework.NewConditionalTest("intel_rdt", support.ResctrlMounted, func(t *framework.T) framework.Result {
			return framework.FromError(intelRdt(env, t))
		})),
	}
}

func miscPropsGroup(env *support.Env) *framework.TestGroup {
	return group("set_misc_props",
		framework.NewTest("annotations_unknown_key_ignored_test", func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			s.Annotations = map[string]string{"org.contest.unknown-key": "some value"}
			return framework.FromError(env.TestOutsideContainer(t, s, func(c *support.Container, r support.CmdResult) error {
				if err := r.Ok(); err != nil {
					return err
				}
				st, err := c.State(t.Context())
				if err != nil {
					return err
				}
				if st.Annotations["org.contest.unknown-key"] != "some value" {
					return fmt.Errorf("state annotations %v lack the config's", st.Annotations)
				}
				return nil
			}))
		}),
		framework.NewTest("unknown_top_level_property_ignored_test", func(t *framework.T) framework.Result {
			c, err := env.NewContainer(t, support.DefaultSpec())
			if err != nil {
				return framework.Fail(err)
			}
			if err := editConfigJSON(c.Bundle, func(m map[string]any) {
				m["contestUnknownProperty"] = map[string]any{"nested": []int{1, 2}}
			}); err != nil {
				return framework.Fail(err)
			}
			if r := c.Create(t.Context(), nil); r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			return framework.FromError(expectStatus(t.Context(), c, "created"))
		}),
		framework.NewConditionalTest("invalid_oci_version_must_error_test", notRunc(env, "runc does not validate ociVersion"), func(t *framework.T) framework.Result {
			return createFails(env, "", "invalid-version", func(s *specs.Spec) { s.Version = "invalid-version" }).Run(t)
		}),
	)
}

// editConfigJSON rewrites the bundle's config.json as a generic map.
func editConfigJSON(b *support.Bundle, edit func(map[string]any)) error {
	p := filepath.Join(b.Dir, "config.json")
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	edit(m)
	return os.WriteFile(p, support.JSON(m), 0o644)
}

// recursiveCases maps each r* option to the flags of the host submount
// that make its effect observable (the flag it clears, or a different
// atime mode).
var recursiveCases = []struct {
	opt      string
	subFlags uintptr
}{
	{"rro", 0}, {"rrw", unix.MS_RDONLY},
	{"rnosuid", 0}, {"rsuid", unix.MS_NOSUID},
	{"rnoexec", 0}, {"rexec", unix.MS_NOEXEC},
	{"rnodev", 0}, {"rdev", unix.MS_NODEV},
	{"rnodiratime", 0}, {"rdiratime", unix.MS_NODIRATIME},
	{"rnoatime", 0}, {"ratime", unix.MS_NOATIME},
	{"rrelatime", unix.MS_STRICTATIME}, {"rnorelatime", 0},
	{"rstrictatime", unix.MS_RELATIME}, {"rnostrictatime", unix.MS_STRICTATIME},
	{"rnosymfollow", 0}, {"rsymfollow", unix.MS_NOSYMFOLLOW},
}

// mountSource makes <bundle>/mnt_src with a tmpfs mounted (with flags) on
// its "sub" directory; t's cleanup unmounts it.
func mountSource(t *framework.T, b *support.Bundle, flags uintptr) (string, error) {
	src := filepath.Join(b.Dir, "mnt_src")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
		return "", err
	}
	if err := unix.Mount("tmpfs", filepath.Join(src, "sub"), "tmpfs", flags, "size=1m"); err != nil {
		return "", fmt.Errorf("mount tmpfs on %s: %w", filepath.Join(src, "sub"), err)
	}
	t.Cleanup(func() error { return unix.Unmount(filepath.Join(src, "sub"), unix.MNT_DETACH) })
	return src, nil
}

func mountsRecursiveGroup(env *support.Env) *framework.TestGroup {
	g := framework.NewTestGroup("mounts_recursive")
	mk := func(name, check string, flags uintptr, opts ...string) *framework.Test {
		return framework.NewTest(name, func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			return framework.FromError(env.TestInsideContainer(t, s, check, &support.InsideOpts{
				Setup: func(b *support.Bundle) error {
					src, err := mountSource(t, b, flags)
					if err != nil {
						return err
					}
					b.Spec.Mounts = append(b.Spec.Mounts, specs.Mount{Destination: "/mnt", Type: "bind", Source: src, Options: append([]string{"rbind"}, opts...)})
					return nil
				},
			}))
		})
	}
	for _, c := range recursiveCases {
		g.Add(mk(c.opt+"_test", "mounts_recursive", c.subFlags, c.opt))
	}
	g.Add(mk("rbind_ro_test", "mounts_recursive_rbind_ro", 0, "ro"))
	return g
}

func prohibitSymlinkGroup(env *support.Env) *framework.TestGroup {
	mk := func(name, dir string) *framework.Test {
		return framework.NewTest(name, func(t *framework.T) framework.Result {
			c, err := env.NewContainer(t, support.DefaultSpec())
			if err != nil {
				return framework.Fail(err)
			}
			p := filepath.Join(c.Bundle.Rootfs(), dir)
			if err := os.RemoveAll(p); err != nil {
				return framework.Fail(err)
			}
			if err := os.Mkdir(filepath.Join(c.Bundle.Rootfs(), "elsewhere"), 0o755); err != nil {
				return framework.Fail(err)
			}
			if err := os.Symlink("elsewhere", p); err != nil {
				return framework.Fail(err)
			}
			r := c.Create(t.Context(), nil)
			if r.Code == 0 {
				return framework.Failf("create succeeded with /%s a symlink", dir)
			}
			return framework.FromError(errorMentions(r, "/"+dir))
		})
	}
	return group("prohibit_symlink", mk("prohibit_symlink_proc_test", "proc"), mk("prohibit_symlink_sys_test", "sys"))
}

// seccompNotify: the runtime connects to listenerPath and sends the
// container process state with the notify fd.
func seccompNotify(env *support.Env, t *framework.T) error {
	s := support.DefaultSpec()
	c, err := env.NewContainer(t, s)
	if err != nil {
		return err
	}
	sock := filepath.Join(c.Bundle.Dir, "notify.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return err
	}
	t.Cleanup(l.Close)
	s.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		ListenerPath:  sock, ListenerMetadata: "contest-metadata",
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}},
	}
	if err := c.Bundle.WriteSpec(); err != nil {
		return err
	}
	type msg struct {
		data []byte
		fds  []int
		err  error
	}
	got := make(chan msg, 1)
	go func() {
		conn, err := l.AcceptUnix()
		if err != nil {
			got <- msg{err: err}
			return
		}
		defer conn.Close()
		buf, oob := make([]byte, 1<<16), make([]byte, unix.CmsgSpace(4*4))
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if err != nil {
			got <- msg{err: err}
			return
		}
		var fds []int
		if cms, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
			for _, cm := range cms {
				if f, err := unix.ParseUnixRights(&cm); err == nil {
					fds = append(fds, f...)
				}
			}
		}
		got <- msg{data: buf[:n], fds: fds}
	}()
	if r := c.Create(t.Context(), nil); r.Code != 0 {
		return r.Ok()
	}
	var m msg
	select {
	case m = <-got:
	case <-t.Context().Done():
		return errors.New("no message on the seccomp listener socket")
	}
	for _, fd := range m.fds {
		unix.Close(fd)
	}
	if m.err != nil {
		return fmt.Errorf("seccomp listener: %w", m.err)
	}
	var st specs.ContainerProcessState
	if err := json.Unmarshal(m.data, &st); err != nil {
		return fmt.Errorf("listener message %q: %w", m.data, err)
	}
	var errs []error
	if len(m.fds) != 1 {
		errs = append(errs, fmt.Errorf("got %d fds, want 1", len(m.fds)))
	}
	if !slices.Equal(st.Fds, []string{specs.SeccompFdName}) {
		errs = append(errs, fmt.Errorf("fds %q, want [%s]", st.Fds, specs.SeccompFdName))
	}
	if st.State.ID != c.ID || st.Metadata != "contest-metadata" || st.Pid <= 0 {
		errs = append(errs, fmt.Errorf("state id %q metadata %q pid %d, want %s, contest-metadata, a pid", st.State.ID, st.Metadata, st.Pid, c.ID))
	}
	return errors.Join(errs...)
}

// hostDummy makes a dummy network device on the host (removed by t's
// cleanup if it is still there).
func hostDummy(t *framework.T) (string, error) {
	// A veth pair rather than a dummy: not every kernel has the dummy
	// driver. The peer stays on the host.
	name := support.RandomID("ctd")[:12]
	if out, err := exec.Command("ip", "link", "add", name, "type", "veth", "peer", "name", name+"p").CombinedOutput(); err != nil {
		return "", fmt.Errorf("ip link add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() error {
		var errs []error
		for _, n := range []string{name, name + "p"} {
			if _, err := net.InterfaceByName(n); err == nil {
				if out, err := exec.Command("ip", "link", "del", n).CombinedOutput(); err != nil {
					if _, gone := net.InterfaceByName(n); gone == nil {
						errs = append(errs, fmt.Errorf("ip link del %s: %v: %s", n, err, out))
					}
				}
			}
		}
		return errors.Join(errs...)
	})
	return name, nil
}

func netDevicesGroup(env *support.Env) *framework.TestGroup {
	haveIP := func() (bool, string) {
		if _, err := exec.LookPath("ip"); err != nil {
			return false, "ip(8) is not installed"
		}
		return true, ""
	}
	mk := func(name string, fn func(t *framework.T) error) *framework.ConditionalTest {
		return framework.NewConditionalTest(name, haveIP, func(t *framework.T) framework.Result { return framework.FromError(fn(t)) })
	}
	devs := func(t *framework.T, n int) ([]string, error) {
		var out []string
		for range n {
			d, err := hostDummy(t)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		return out, nil
	}
	return framework.NewTestGroup("net_devices").SetNonParallel().Add(
		mk("net_device", func(t *framework.T) error {
			d, err := devs(t, 1)
			if err != nil {
				return err
			}
			s := support.DefaultSpec()
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{d[0]: {}}
			return env.TestInsideContainer(t, s, "net_devices", nil)
		}),
		mk("net_device_rename", func(t *framework.T) error {
			d, err := devs(t, 1)
			if err != nil {
				return err
			}
			s := support.DefaultSpec()
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{d[0]: {Name: "ctr0"}}
			return env.TestInsideContainer(t, s, "net_devices", nil)
		}),
		mk("net_devices", func(t *framework.T) error {
			d, err := devs(t, 2)
			if err != nil {
				return err
			}
			s := support.DefaultSpec()
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{d[0]: {}, d[1]: {Name: "ctr1"}}
			return env.TestInsideContainer(t, s, "net_devices", nil)
		}),
		mk("empty_net_devices", func(t *framework.T) error {
			s := support.DefaultSpec()
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{}
			return env.TestInsideContainer(t, s, "net_devices", nil)
		}),
		mk("back_device", func(t *framework.T) error {
			d, err := devs(t, 1)
			if err != nil {
				return err
			}
			s := support.DefaultSpec()
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{d[0]: {Name: "ctr0"}}
			c, err := env.NewContainer(t, s)
			if err != nil {
				return err
			}
			if r := c.Create(t.Context(), nil); r.Code != 0 {
				return r.Ok()
			}
			if _, err := net.InterfaceByName(d[0]); err == nil {
				return fmt.Errorf("device %s still on the host after create", d[0])
			}
			if r := c.Delete(t.Context(), true); r.Code != 0 {
				return r.Ok()
			}
			// runtime-spec (netDevices): when the namespace is freed,
			// physical devices go back to the host and virtual ones are
			// destroyed. A veth takes its host peer with it, so the peer
			// vanishing proves the runtime left nothing holding the
			// namespace (no process, no bind mount of it).
			return support.Poll(t.Context(), support.StopTimeout, "namespace of "+d[0]+" freed (host peer gone)", func() (bool, string, error) {
				_, err := net.InterfaceByName(d[0] + "p")
				return err != nil, "peer still on the host", nil
			})
		}),
		mk("address", func(t *framework.T) error {
			d, err := devs(t, 1)
			if err != nil {
				return err
			}
			if out, err := exec.Command("ip", "addr", "add", "10.213.7.5/24", "dev", d[0]).CombinedOutput(); err != nil {
				return fmt.Errorf("ip addr add: %v: %s", err, out)
			}
			s := support.DefaultSpec()
			s.Linux.NetDevices = map[string]specs.LinuxNetDevice{d[0]: {Name: "ctr0"}}
			s.Process.Env = append(s.Process.Env, "CONTEST_NETDEV_ADDR=ctr0=10.213.7.5")
			return env.TestInsideContainer(t, s, "net_devices", nil)
		}),
	)
}

// intelRdt: the container's process lands in the resctrl group closID.
func intelRdt(env *support.Env, t *framework.T) error {
	s := support.DefaultSpec()
	clos := support.RandomID("contest")
	s.Linux.IntelRdt = &specs.LinuxIntelRdt{ClosID: clos}
	t.Cleanup(func() error {
		err := os.Remove(filepath.Join("/sys/fs/resctrl", clos))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	})
	return env.TestOutsideContainer(t, s, func(c *support.Container, r support.CmdResult) error {
		if err := r.Ok(); err != nil {
			return err
		}
		st, err := c.State(t.Context())
		if err != nil {
			return err
		}
		data, err := os.ReadFile(filepath.Join("/sys/fs/resctrl", clos, "tasks"))
		if err != nil {
			return err
		}
		if !slices.Contains(strings.Fields(string(data)), fmt.Sprint(st.Pid)) {
			return fmt.Errorf("pid %d not in resctrl group %s", st.Pid, clos)
		}
		return nil
	})
}
