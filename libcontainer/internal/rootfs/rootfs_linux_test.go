package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	lsys "github.com/gocontainer/gocontainer/libcontainer/syscall"
)

type fixture struct {
	dir    string // bundle
	rootfs string
	fake   *lsys.Fake
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	require.NoError(t, os.Mkdir(rootfs, 0o755))
	return &fixture{dir: dir, rootfs: rootfs, fake: &lsys.Fake{Root: rootfs}}
}

func (f *fixture) opts(spec *specs.Spec) Options {
	return Options{Spec: spec, Rootfs: f.rootfs, Bundle: f.dir, ContainerRoot: f.rootfs}
}

func (f *fixture) mkdir(t *testing.T, p string) {
	require.NoError(t, os.MkdirAll(filepath.Join(f.rootfs, p), 0o755))
}

func (f *fixture) write(t *testing.T, p, content string) {
	require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(f.rootfs, p)), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(f.rootfs, p), []byte(content), 0o644))
}

func specWith(mounts ...specs.Mount) *specs.Spec {
	return &specs.Spec{
		Root:   &specs.Root{Path: "rootfs"},
		Mounts: mounts,
		Linux:  &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.MountNamespace}}},
	}
}

// devBindSpec has /dev bind-mounted, so no devices are created and the
// call lists stay focused on the mounts under test.
func devBind(t *testing.T, f *fixture) specs.Mount {
	src := filepath.Join(f.dir, "devsrc")
	require.NoError(t, os.MkdirAll(src, 0o755))
	return specs.Mount{Destination: "/dev", Type: "bind", Source: src, Options: []string{"rbind"}}
}

func prepareCalls(t *testing.T, f *fixture, o Options) []string {
	t.Helper()
	require.NoError(t, Prepare(f.fake, o))
	return f.fake.CallStrings()
}

var prologue = []string{
	`mount("", "/", "", MS_REC|MS_SLAVE, "")`,
	`mount("/", "/", "bind", MS_BIND|MS_REC, "")`,
}

func TestPrepareTmpfsDevCreatesDefaultDevicesInOrder(t *testing.T) {
	f := newFixture(t)
	spec := specWith(specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs",
		Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}})
	calls := prepareCalls(t, f, f.opts(spec))

	want := append([]string{}, prologue...)
	want = append(want, `mount("tmpfs", "/dev", "tmpfs", MS_NOSUID|MS_STRICTATIME, "mode=755,size=65536k")`)
	for _, d := range []struct{ name, dev string }{
		{"null", "1:3"}, {"zero", "1:5"}, {"full", "1:7"}, {"random", "1:8"}, {"urandom", "1:9"}, {"tty", "5:0"},
	} {
		want = append(want,
			`mknod("/dev/`+d.name+`", c0666, `+d.dev+`)`,
			`chmod("/dev/`+d.name+`", 0666)`,
			`chown("/dev/`+d.name+`", 0, 0)`)
	}
	want = append(want,
		`unlink("/dev/ptmx")`,
		`symlink("pts/ptmx", "/dev/ptmx")`,
		`symlink("/proc/self/fd", "/dev/fd")`,
		`symlink("/proc/self/fd/0", "/dev/stdin")`,
		`symlink("/proc/self/fd/1", "/dev/stdout")`,
		`symlink("/proc/self/fd/2", "/dev/stderr")`)
	if _, err := os.Lstat("/proc/kcore"); err == nil {
		want = append(want, `symlink("/proc/kcore", "/dev/core")`)
	}
	require.Equal(t, want, calls)
	require.DirExists(t, filepath.Join(f.rootfs, "dev"), "mount destination created inside the rootfs")
}

func TestPrepareSpecDevices(t *testing.T) {
	f := newFixture(t)
	spec := specWith(specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs"})
	spec.Linux.Devices = []specs.LinuxDevice{
		{Path: "/dev/null", Type: "c", Major: 1, Minor: 3, FileMode: mode(0o600), UID: u32(7), GID: u32(8)},
		{Path: "/dev/net/tun", Type: "c", Major: 10, Minor: 200},
		{Path: "/dev/loop9", Type: "b", Major: 7, Minor: 9, FileMode: mode(0o660), GID: u32(6)},
		{Path: "/dev/myfifo", Type: "p"},
	}
	calls := prepareCalls(t, f, f.opts(spec))
	joined := strings.Join(calls, "\n")
	// The spec's /dev/null replaces the default one (mode, owner), and
	// comes after the remaining defaults.
	require.NotContains(t, joined, `chmod("/dev/null", 0666)`)
	require.Contains(t, joined, "mknod(\"/dev/tty\", c0666, 5:0)\nchmod(\"/dev/tty\", 0666)\nchown(\"/dev/tty\", 0, 0)\n"+
		"mknod(\"/dev/null\", c0600, 1:3)\nchmod(\"/dev/null\", 0600)\nchown(\"/dev/null\", 7, 8)\n"+
		"mknod(\"/dev/net/tun\", c0666, 10:200)\nchmod(\"/dev/net/tun\", 0666)\nchown(\"/dev/net/tun\", 0, 0)\n"+
		"mknod(\"/dev/loop9\", b0660, 7:9)\nchmod(\"/dev/loop9\", 0660)\nchown(\"/dev/loop9\", 0, 6)\n"+
		"mknod(\"/dev/myfifo\", p0666, 0:0)\n")
	require.DirExists(t, filepath.Join(f.rootfs, "dev/net"), "parent of a nested device is created")
}

func TestPrepareDeviceErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		dev  specs.LinuxDevice
		want string
	}{
		// Paths outside /dev are fine (runc); /dev itself is not.
		{"dev itself", specs.LinuxDevice{Path: "/dev/../dev", Type: "c", Major: 1, Minor: 3}, "linux.devices: /dev/../dev cannot be a device node"},
		{"bad type", specs.LinuxDevice{Path: "/dev/x", Type: "z"}, `linux.devices: /dev/x: unknown device type "z"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			spec := specWith(specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs"})
			spec.Linux.Devices = []specs.LinuxDevice{tt.dev}
			require.ErrorContains(t, Prepare(f.fake, f.opts(spec)), tt.want)
		})
	}
}

func TestPrepareInUserNSBindMountsDevices(t *testing.T) {
	f := newFixture(t)
	spec := specWith(specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs"})
	o := f.opts(spec)
	o.InUserNS = true
	calls := prepareCalls(t, f, o)
	joined := strings.Join(calls, "\n")
	require.NotContains(t, joined, "mknod(")
	require.Contains(t, joined, `mount("/dev/null", "/dev/null", "bind", MS_BIND, "")`)
	require.Contains(t, joined, `mount("/dev/tty", "/dev/tty", "bind", MS_BIND, "")`)
	fi, err := os.Lstat(filepath.Join(f.rootfs, "dev/null"))
	require.NoError(t, err)
	require.True(t, fi.Mode().IsRegular(), "bind target is an empty regular file")
}

func TestPrepareDevBindMountSkipsDevices(t *testing.T) {
	f := newFixture(t)
	calls := prepareCalls(t, f, f.opts(specWith(devBind(t, f))))
	require.Equal(t, append(append([]string{}, prologue...),
		`mount("`+filepath.Join(f.dir, "devsrc")+`", "/dev", "bind", MS_BIND|MS_REC, "")`), calls)
}

func TestPrepareBindReadonlyRemounts(t *testing.T) {
	f := newFixture(t)
	src := filepath.Join(f.dir, "data")
	require.NoError(t, os.Mkdir(src, 0o755))
	calls := prepareCalls(t, f, f.opts(specWith(devBind(t, f),
		specs.Mount{Destination: "/data", Type: "bind", Source: "data", Options: []string{"bind", "ro", "nosuid"}})))
	require.Equal(t, []string{
		`mount("` + src + `", "/data", "bind", MS_BIND, "")`,
		`mount("", "/data", "", MS_RDONLY|MS_NOSUID|MS_REMOUNT|MS_BIND, "")`,
	}, calls[3:], "relative source is taken from the bundle; ro needs a remount")
}

func TestPrepareBindWithoutExtraFlagsDoesNotRemount(t *testing.T) {
	f := newFixture(t)
	src := filepath.Join(f.dir, "data")
	require.NoError(t, os.Mkdir(src, 0o755))
	calls := prepareCalls(t, f, f.opts(specWith(devBind(t, f),
		specs.Mount{Destination: "/data", Source: src, Options: []string{"rbind", "rw"}})))
	require.Equal(t, []string{`mount("` + src + `", "/data", "bind", MS_BIND|MS_REC, "")`}, calls[3:])
}

func TestPreparePropagationAfterMount(t *testing.T) {
	f := newFixture(t)
	src := filepath.Join(f.dir, "data")
	require.NoError(t, os.Mkdir(src, 0o755))
	calls := prepareCalls(t, f, f.opts(specWith(devBind(t, f),
		specs.Mount{Destination: "/data", Type: "bind", Source: src, Options: []string{"rbind", "rshared", "ro", "unbindable"}})))
	require.Equal(t, []string{
		`mount("` + src + `", "/data", "bind", MS_BIND|MS_REC, "")`,
		`mount("", "/data", "", MS_RDONLY|MS_REMOUNT|MS_BIND, "")`,
		`mount("", "/data", "", MS_REC|MS_SHARED, "")`,
		`mount("", "/data", "", MS_UNBINDABLE, "")`,
	}, calls[3:])
}

func TestPrepareRecursiveAttrs(t *testing.T) {
	f := newFixture(t)
	src := filepath.Join(f.dir, "data")
	require.NoError(t, os.Mkdir(src, 0o755))
	calls := prepareCalls(t, f, f.opts(specWith(devBind(t, f),
		specs.Mount{Destination: "/data", Type: "bind", Source: src, Options: []string{"rbind", "rro"}})))
	require.Equal(t, []string{
		`mount("` + src + `", "/data", "bind", MS_BIND|MS_REC, "")`,
		`mount_setattr("/data", 0x9000, set=0x1, clr=0x0, prop=0x0)`,
	}, calls[3:])
}

func TestPrepareFileBindCreatesFileDestination(t *testing.T) {
	f := newFixture(t)
	src := filepath.Join(f.dir, "hosts")
	require.NoError(t, os.WriteFile(src, []byte("127.0.0.1 x\n"), 0o644))
	calls := prepareCalls(t, f, f.opts(specWith(devBind(t, f),
		specs.Mount{Destination: "/etc/hosts", Type: "bind", Source: src, Options: []string{"bind"}})))
	require.Equal(t, []string{`mount("` + src + `", "/etc/hosts", "bind", MS_BIND, "")`}, calls[3:])
	fi, err := os.Lstat(filepath.Join(f.rootfs, "etc/hosts"))
	require.NoError(t, err)
	require.True(t, fi.Mode().IsRegular())
}

func TestPrepareMissingBindSource(t *testing.T) {
	f := newFixture(t)
	err := Prepare(f.fake, f.opts(specWith(specs.Mount{Destination: "/data", Type: "bind", Source: "/nonexistent/x", Options: []string{"bind"}})))
	require.ErrorContains(t, err, "mount bind /nonexistent/x on /data: source:")
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestPrepareTmpfsReadonlyIsDeferredToFinalize(t *testing.T) {
	f := newFixture(t)
	spec := specWith(devBind(t, f), specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"ro", "nosuid", "size=1m"}})
	calls := prepareCalls(t, f, f.opts(spec))
	require.Equal(t, []string{`mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID, "size=1m")`}, calls[3:])

	f.fake.Reset()
	require.NoError(t, Finalize(f.fake, f.opts(spec)))
	require.Equal(t, []string{`mount("", "/tmp", "", MS_RDONLY|MS_NOSUID|MS_REMOUNT, "size=1m")`}, f.fake.CallStrings())
}

func TestPrepareSymlinkDestinationStaysInRootfs(t *testing.T) {
	for _, target := range []string{"/", "../../..", "/../../../.."} {
		t.Run(target, func(t *testing.T) {
			f := newFixture(t)
			require.NoError(t, os.Symlink(target, filepath.Join(f.rootfs, "evil")))
			calls := prepareCalls(t, f, f.opts(specWith(devBind(t, f),
				specs.Mount{Destination: "/evil/tmp/x", Type: "tmpfs", Source: "tmpfs"})))
			// The fake renders paths inside the rootfs as container
			// paths; a host path would be shown in full.
			require.Equal(t, []string{`mount("tmpfs", "/tmp/x", "tmpfs", 0, "")`}, calls[3:])
			require.Regexp(t, `^/proc/thread-self/fd/\d+$`, f.fake.Calls()[3].Raw[1], "the mount targets the resolved handle, not a path")
			require.DirExists(t, filepath.Join(f.rootfs, "tmp/x"))
		})
	}
}

func TestPrepareProcSymlinkRefused(t *testing.T) {
	for _, typ := range []string{"proc", "sysfs"} {
		t.Run(typ, func(t *testing.T) {
			f := newFixture(t)
			dest := "/proc"
			if typ == "sysfs" {
				dest = "/sys"
			}
			f.mkdir(t, "realdir")
			require.NoError(t, os.Symlink("realdir", filepath.Join(f.rootfs, dest)))
			err := Prepare(f.fake, f.opts(specWith(specs.Mount{Destination: dest, Type: typ, Source: typ})))
			require.EqualError(t, err, "mount destination "+dest+" is a symlink")
			require.ErrorIs(t, err, ErrSymlinkDestination)
			for _, c := range f.fake.Calls() {
				require.NotEqual(t, typ, strings.Trim(c.Args[2], `"`), "no %s mount may happen", typ)
			}
		})
	}
}

func TestPrepareProcMountCreatesDirectory(t *testing.T) {
	f := newFixture(t)
	calls := prepareCalls(t, f, f.opts(specWith(devBind(t, f), specs.Mount{Destination: "/proc", Type: "proc", Source: "proc"})))
	require.Equal(t, []string{`mkdir("/proc", 0755)`, `mount("proc", "/proc", "proc", 0, "")`}, calls[3:])
}

func TestPrepareRefusesMountsInsideProc(t *testing.T) {
	f := newFixture(t)
	err := Prepare(f.fake, f.opts(specWith(specs.Mount{Destination: "/proc/self/attr", Type: "tmpfs", Source: "tmpfs"})))
	require.EqualError(t, err, "mount tmpfs on /proc/self/attr: /proc/self/attr cannot be mounted because it is inside /proc")

	// lxcfs-style binds on the allow-list are fine.
	f = newFixture(t)
	src := filepath.Join(f.dir, "meminfo")
	require.NoError(t, os.WriteFile(src, nil, 0o644))
	require.NoError(t, Prepare(f.fake, f.opts(specWith(devBind(t, f), specs.Mount{Destination: "/proc/meminfo", Type: "bind", Source: src, Options: []string{"bind"}}))))
}

func TestPrepareRefusesSymlinkIntoProc(t *testing.T) {
	f := newFixture(t)
	f.mkdir(t, "proc/self")
	require.NoError(t, os.Symlink("proc/self", filepath.Join(f.rootfs, "sneaky")))
	err := Prepare(f.fake, f.opts(specWith(specs.Mount{Destination: "/sneaky", Type: "tmpfs", Source: "tmpfs"})))
	require.ErrorContains(t, err, "cannot be mounted because it is inside /proc")
}

func TestPrepareMountErrorNamesStepDestinationAndErrno(t *testing.T) {
	f := newFixture(t)
	f.fake.Err = func(c lsys.Call) error {
		if c.Name == "mount" && strings.Contains(c.Args[2], "tmpfs") {
			return unix.EINVAL
		}
		return nil
	}
	err := Prepare(f.fake, f.opts(specWith(specs.Mount{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime"}})))
	require.EqualError(t, err, "mount tmpfs on /dev (flags 0x1000002): invalid argument")
	require.ErrorIs(t, err, unix.EINVAL)
}

func TestPrepareRootfsPropagation(t *testing.T) {
	f := newFixture(t)
	spec := specWith(devBind(t, f))
	spec.Linux.RootfsPropagation = "rshared"
	calls := prepareCalls(t, f, f.opts(spec))
	require.Equal(t, `mount("", "/", "", MS_REC|MS_SHARED, "")`, calls[0])

	for prop, want := range map[string]string{
		"shared": "MS_REC|MS_SHARED", "private": "MS_REC|MS_PRIVATE", "rprivate": "MS_REC|MS_PRIVATE",
		"slave": "MS_REC|MS_SLAVE", "unbindable": "MS_REC|MS_SLAVE", "runbindable": "MS_REC|MS_SLAVE",
	} {
		f.fake.Reset()
		spec.Linux.RootfsPropagation = prop
		calls := prepareCalls(t, f, f.opts(spec))
		require.Equal(t, `mount("", "/", "", `+want+`, "")`, calls[0], prop)
	}

	spec.Linux.RootfsPropagation = "weird"
	require.ErrorContains(t, Prepare(&lsys.Fake{Root: f.rootfs}, f.opts(spec)), `unknown propagation "weird"`)
}

func TestPrepareMakesSharedParentMountPrivate(t *testing.T) {
	f := newFixture(t)
	f.fake.MountInfoFunc = func() ([]*mountinfo.Info, error) {
		return []*mountinfo.Info{
			{Mountpoint: "/", Optional: "shared:1"},
			{Mountpoint: f.dir, Optional: "shared:7 master:2"},
			{Mountpoint: "/elsewhere", Optional: "shared:9"},
		}, nil
	}
	calls := prepareCalls(t, f, f.opts(specWith(devBind(t, f))))
	require.Equal(t, []string{
		`mount("", "/", "", MS_REC|MS_SLAVE, "")`,
		`mount("", "` + f.dir + `", "", MS_PRIVATE, "")`,
		`mount("/", "/", "bind", MS_BIND|MS_REC, "")`,
	}, calls[:3])
}

func TestPrepareWithoutMountNamespace(t *testing.T) {
	f := newFixture(t)
	spec := specWith()
	spec.Linux.Namespaces = nil
	require.NoError(t, Prepare(f.fake, f.opts(spec)))
	require.Empty(t, f.fake.Calls())

	spec.Mounts = []specs.Mount{{Destination: "/proc", Type: "proc"}}
	require.ErrorContains(t, Prepare(f.fake, f.opts(spec)), "no mount namespace")
}

func TestPrepareTmpCopyUpWrongType(t *testing.T) {
	f := newFixture(t)
	err := Prepare(f.fake, f.opts(specWith(specs.Mount{Destination: "/x", Type: "proc", Options: []string{"tmpcopyup"}})))
	require.ErrorContains(t, err, "tmpcopyup is only valid for tmpfs")
}

func TestOptionsValidation(t *testing.T) {
	f := newFixture(t)
	require.ErrorContains(t, Prepare(f.fake, Options{Rootfs: f.rootfs}), "nil Spec")
	require.ErrorContains(t, Prepare(f.fake, Options{Spec: specWith(), Rootfs: "rel"}), `Rootfs "rel" is not an absolute path`)
	require.ErrorContains(t, Prepare(nil, f.opts(specWith())), "nil Syscall")
}

func cgroupFake(f *fixture, cgroupns bool) {
	f.fake.StatfsFunc = func(path string, st *unix.Statfs_t) error {
		if path == "/sys/fs/cgroup" {
			st.Type = unix.TMPFS_MAGIC
			return nil
		}
		return unix.ENOENT
	}
	f.fake.MountInfoFunc = func() ([]*mountinfo.Info, error) {
		return []*mountinfo.Info{
			{Mountpoint: "/sys/fs/cgroup", FSType: "tmpfs", Root: "/"},
			{Mountpoint: "/sys/fs/cgroup/cpu,cpuacct", FSType: "cgroup", Root: "/", VFSOptions: "rw,cpu,cpuacct"},
			{Mountpoint: "/sys/fs/cgroup/memory", FSType: "cgroup", Root: "/", VFSOptions: "rw,memory"},
			{Mountpoint: "/sys/fs/cgroup/systemd", FSType: "cgroup", Root: "/", VFSOptions: "rw,xattr,name=systemd"},
			{Mountpoint: "/sys/fs/cgroup/unified", FSType: "cgroup2", Root: "/", VFSOptions: "rw"},
		}, nil
	}
	f.fake.ReadFileFunc = func(path string) ([]byte, error) {
		if path != "/proc/self/cgroup" {
			return nil, errors.New("unexpected read of " + path)
		}
		return []byte("3:cpu,cpuacct:/ctr\n2:memory:/ctr\n1:name=systemd:/ctr\n0::/ctr\n"), nil
	}
}

func TestPrepareCgroupV1WithCgroupNS(t *testing.T) {
	f := newFixture(t)
	cgroupFake(f, true)
	spec := specWith(devBind(t, f), specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}})
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	calls := prepareCalls(t, f, f.opts(spec))
	const fl = "MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_RELATIME"
	require.Equal(t, []string{
		`mount("cgroup", "/sys/fs/cgroup", "tmpfs", MS_NOSUID|MS_NODEV|MS_NOEXEC, "mode=755")`,
		`mount("cgroup", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", ` + fl + `, "cpu,cpuacct")`,
		`mount("cgroup", "/sys/fs/cgroup/memory", "cgroup", ` + fl + `, "memory")`,
		`mount("cgroup", "/sys/fs/cgroup/systemd", "cgroup", ` + fl + `, "name=systemd")`,
		`mount("cgroup2", "/sys/fs/cgroup/unified", "cgroup2", ` + fl + `, "")`,
		`symlink("cpu,cpuacct", "/sys/fs/cgroup/cpu")`,
		`symlink("cpu,cpuacct", "/sys/fs/cgroup/cpuacct")`,
		`mount("", "/sys/fs/cgroup", "", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, "")`,
	}, calls[3:])
}

func TestPrepareCgroupV1WithoutCgroupNSBindsOwnCgroup(t *testing.T) {
	f := newFixture(t)
	cgroupFake(f, false)
	spec := specWith(devBind(t, f), specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro"}})
	calls := prepareCalls(t, f, f.opts(spec))
	const fl = "MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND"
	require.Equal(t, []string{
		`mount("cgroup", "/sys/fs/cgroup", "tmpfs", MS_NOSUID|MS_NODEV|MS_NOEXEC, "mode=755")`,
		`mount("/sys/fs/cgroup/cpu,cpuacct/ctr", "/sys/fs/cgroup/cpu,cpuacct", "bind", MS_BIND|MS_REC, "")`,
		`mount("", "/sys/fs/cgroup/cpu,cpuacct", "", ` + fl + `, "")`,
		`mount("/sys/fs/cgroup/memory/ctr", "/sys/fs/cgroup/memory", "bind", MS_BIND|MS_REC, "")`,
		`mount("", "/sys/fs/cgroup/memory", "", ` + fl + `, "")`,
		`mount("/sys/fs/cgroup/systemd/ctr", "/sys/fs/cgroup/systemd", "bind", MS_BIND|MS_REC, "")`,
		`mount("", "/sys/fs/cgroup/systemd", "", ` + fl + `, "")`,
		`mount("/sys/fs/cgroup/unified/ctr", "/sys/fs/cgroup/unified", "bind", MS_BIND|MS_REC, "")`,
		`mount("", "/sys/fs/cgroup/unified", "", ` + fl + `, "")`,
		`symlink("cpu,cpuacct", "/sys/fs/cgroup/cpu")`,
		`symlink("cpu,cpuacct", "/sys/fs/cgroup/cpuacct")`,
		`mount("", "/sys/fs/cgroup", "", ` + fl + `, "")`,
	}, calls[3:])
}

func TestPrepareCgroupV2Host(t *testing.T) {
	f := newFixture(t)
	f.fake.StatfsFunc = func(path string, st *unix.Statfs_t) error { st.Type = unix.CGROUP2_SUPER_MAGIC; return nil }
	f.fake.ReadFileFunc = func(string) ([]byte, error) { return []byte("0::/mine\n"), nil }
	// Without a cgroup namespace mounting cgroup2 fails: bind our own cgroup.
	f.fake.Err = func(c lsys.Call) error {
		if c.Name == "mount" && c.Args[2] == `"cgroup2"` {
			return unix.EPERM
		}
		return nil
	}
	spec := specWith(devBind(t, f), specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro"}})
	calls := prepareCalls(t, f, f.opts(spec))
	require.Equal(t, []string{
		`mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, "")`,
		`mount("/sys/fs/cgroup/mine", "/sys/fs/cgroup", "bind", MS_BIND|MS_REC, "")`,
		`mount("", "/sys/fs/cgroup", "", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND, "")`,
	}, calls[3:])
}

func TestPrepareSysfsInUserNSFallsBackToBind(t *testing.T) {
	f := newFixture(t)
	f.fake.Err = func(c lsys.Call) error {
		if c.Name == "mount" && c.Args[2] == `"sysfs"` {
			return unix.EPERM
		}
		return nil
	}
	o := f.opts(specWith(devBind(t, f), specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"ro", "nosuid"}}))
	o.InUserNS = true
	calls := prepareCalls(t, f, o)
	require.Equal(t, []string{
		`mkdir("/sys", 0755)`,
		`mount("sysfs", "/sys", "sysfs", MS_RDONLY|MS_NOSUID, "")`,
		`mount("/sys", "/sys", "bind", MS_BIND|MS_REC, "")`,
		`mount("", "/sys", "", MS_RDONLY|MS_NOSUID|MS_REMOUNT|MS_BIND, "")`,
	}, calls[3:])

	// Outside a user namespace EPERM is an error.
	f = newFixture(t)
	f.fake.Err = func(c lsys.Call) error {
		if c.Name == "mount" && c.Args[2] == `"sysfs"` {
			return unix.EPERM
		}
		return nil
	}
	err := Prepare(f.fake, f.opts(specWith(specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs"})))
	require.EqualError(t, err, "mount sysfs on /sys (flags 0x0): operation not permitted")
}

func TestPrepareRelativeBindSourceNeedsBundle(t *testing.T) {
	f := newFixture(t)
	o := f.opts(specWith(specs.Mount{Destination: "/data", Type: "bind", Source: "data"}))
	o.Bundle = ""
	require.EqualError(t, Prepare(f.fake, o), "mount bind data on /data: relative source needs Options.Bundle")
}
