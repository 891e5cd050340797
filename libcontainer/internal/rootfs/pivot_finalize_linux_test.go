package rootfs

import (
	"fmt"
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

func TestPivotRootSequence(t *testing.T) {
	f := newFixture(t)
	fake := &lsys.Fake{} // raw host paths
	require.NoError(t, Pivot(fake, f.opts(specWith())))
	require.Equal(t, []string{
		`chdir("` + f.rootfs + `")`,
		`open("/", 0x10000)`,
		`open("` + f.rootfs + `", 0x10000)`,
		`fchdir("` + f.rootfs + `")`,
		`pivot_root(".", ".")`,
		`fchdir("/")`,
		`mount("", ".", "", MS_REC|MS_SLAVE, "")`,
		`umount2(".", 0x2)`,
		`chdir("/")`,
	}, fake.CallStrings())
}

func TestFinalizeAppliesRootfsPropagationLast(t *testing.T) {
	f := newFixture(t)
	spec := specWith()
	spec.Root.Readonly = true
	spec.Linux.RootfsPropagation = "shared"
	require.NoError(t, Finalize(f.fake, f.opts(spec)))
	require.Equal(t, []string{
		`mount("", "/", "", MS_RDONLY|MS_REMOUNT|MS_BIND, "")`,
		`mount("", "/", "", MS_SHARED, "")`,
	}, f.fake.CallStrings())

	f.fake.Reset()
	spec.Linux.RootfsPropagation = "unbindable"
	require.NoError(t, Finalize(f.fake, f.opts(spec)))
	calls := f.fake.CallStrings()
	require.Equal(t, `mount("", "/", "", MS_UNBINDABLE, "")`, calls[len(calls)-1])

	// Pivot leaves propagation alone.
	fake := &lsys.Fake{}
	require.NoError(t, Pivot(fake, f.opts(spec)))
	require.NotContains(t, fake.CallStrings(), `mount("", "/", "", MS_UNBINDABLE, "")`)
}

func TestPivotNoPivotMovesRootAndDetachesHostProcSys(t *testing.T) {
	f := newFixture(t)
	fake := &lsys.Fake{MountInfoFunc: func() ([]*mountinfo.Info, error) {
		return []*mountinfo.Info{
			{Mountpoint: "/", FSType: "ext4", Root: "/"},
			{Mountpoint: "/proc", FSType: "proc", Root: "/"},
			{Mountpoint: "/sys", FSType: "sysfs", Root: "/"},
			{Mountpoint: "/proc/sys/fs/binfmt_misc", FSType: "binfmt_misc", Root: "/"},
			{Mountpoint: "/srv/partial", FSType: "proc", Root: "/sys"}, // not a full procfs
			{Mountpoint: f.rootfs + "/proc", FSType: "proc", Root: "/"},
		}, nil
	}}
	o := f.opts(specWith())
	o.NoPivot = true
	require.NoError(t, Pivot(fake, o))
	require.Equal(t, []string{
		`chdir("` + f.rootfs + `")`,
		`mount("", "/proc", "", MS_REC|MS_SLAVE, "")`,
		`umount2("/proc", 0x2)`,
		`mount("", "/sys", "", MS_REC|MS_SLAVE, "")`,
		`umount2("/sys", 0x2)`,
		`mount("` + f.rootfs + `", "/", "", MS_MOVE, "")`,
		`chroot(".")`,
		`chdir("/")`,
	}, fake.CallStrings())
}

func TestPivotNoPivotCoversWhatCannotBeUnmounted(t *testing.T) {
	f := newFixture(t)
	fake := &lsys.Fake{
		MountInfoFunc: func() ([]*mountinfo.Info, error) {
			return []*mountinfo.Info{{Mountpoint: "/proc", FSType: "proc", Root: "/"}}, nil
		},
		Err: func(c lsys.Call) error {
			if c.Name == "umount2" {
				return unix.EPERM
			}
			return nil
		},
	}
	o := f.opts(specWith())
	o.NoPivot = true
	require.NoError(t, Pivot(fake, o))
	require.Contains(t, fake.CallStrings(), `mount("tmpfs", "/proc", "tmpfs", 0, "")`)
}

func TestPivotWithoutMountNamespaceChroots(t *testing.T) {
	f := newFixture(t)
	fake := &lsys.Fake{}
	spec := specWith()
	spec.Linux.Namespaces = nil
	require.NoError(t, Pivot(fake, f.opts(spec)))
	require.Equal(t, []string{`chroot("` + f.rootfs + `")`, `chdir("/")`}, fake.CallStrings())
}

func TestPivotErrorNamesStep(t *testing.T) {
	f := newFixture(t)
	fake := &lsys.Fake{Err: func(c lsys.Call) error {
		if c.Name == "pivot_root" {
			return unix.EINVAL
		}
		return nil
	}}
	err := Pivot(fake, f.opts(specWith()))
	require.EqualError(t, err, "pivot_root "+f.rootfs+": invalid argument")
}

// devNullFake makes the rootfs's /dev/null (a plain file in a tmpdir) look
// like the real null device to Fstat.
func devNullFake(t *testing.T, f *fixture, rdev uint64) {
	f.write(t, "dev/null", "")
	f.fake.FstatFunc = func(fd int, path string, st *unix.Stat_t) error {
		if err := unix.Fstat(fd, st); err != nil {
			return err
		}
		if path == "/dev/null" {
			st.Mode = unix.S_IFCHR | 0o666
			st.Rdev = rdev
		}
		return nil
	}
}

func TestFinalizeReadonlyRoot(t *testing.T) {
	f := newFixture(t)
	spec := specWith()
	spec.Root.Readonly = true
	require.NoError(t, Finalize(f.fake, f.opts(spec)))
	require.Equal(t, []string{`mount("", "/", "", MS_RDONLY|MS_REMOUNT|MS_BIND, "")`}, f.fake.CallStrings())
}

func TestFinalizeReadonlyRootKeepsLockedFlagsOnEPERM(t *testing.T) {
	f := newFixture(t)
	n := 0
	f.fake.Err = func(c lsys.Call) error {
		if n++; n == 1 {
			return unix.EPERM
		}
		return nil
	}
	f.fake.FstatfsFunc = func(fd int, path string, st *unix.Statfs_t) error {
		st.Flags = unix.MS_NOSUID | unix.MS_NODEV
		return nil
	}
	spec := specWith()
	spec.Root.Readonly = true
	require.NoError(t, Finalize(f.fake, f.opts(spec)))
	require.Equal(t, []string{
		`mount("", "/", "", MS_RDONLY|MS_REMOUNT|MS_BIND, "")`,
		`mount("", "/", "", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_REMOUNT|MS_BIND, "")`,
	}, f.fake.CallStrings())
}

func TestFinalizeReadonlyPaths(t *testing.T) {
	f := newFixture(t)
	f.mkdir(t, "proc/sys")
	f.write(t, "proc/sysrq-trigger", "")
	f.fake.FstatfsFunc = func(fd int, path string, st *unix.Statfs_t) error {
		st.Flags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_RELATIME
		return nil
	}
	spec := specWith()
	spec.Linux.ReadonlyPaths = []string{"/proc/sys", "/proc/missing", "/proc/sysrq-trigger"}
	require.NoError(t, Finalize(f.fake, f.opts(spec)))
	const ro = "MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND"
	require.Equal(t, []string{
		`mount("/proc/sys", "/proc/sys", "", MS_BIND|MS_REC, "")`,
		`mount("", "/proc/sys", "", ` + ro + `, "")`,
		`mount("/proc/sysrq-trigger", "/proc/sysrq-trigger", "", MS_BIND|MS_REC, "")`,
		`mount("", "/proc/sysrq-trigger", "", ` + ro + `, "")`,
	}, f.fake.CallStrings(), "missing paths are skipped; relatime is not carried into the remount")
}

func TestFinalizeMaskedPaths(t *testing.T) {
	f := newFixture(t)
	devNullFake(t, f, unix.Mkdev(1, 3))
	f.write(t, "proc/kcore", "secret")
	f.mkdir(t, "sys/firmware")
	spec := specWith()
	spec.Linux.MaskedPaths = []string{"/proc/kcore", "/proc/missing", "/sys/firmware"}
	require.NoError(t, Finalize(f.fake, f.opts(spec)))
	require.Equal(t, []string{
		`mount("/dev/null", "/proc/kcore", "", MS_BIND, "")`,
		`mount("tmpfs", "/sys/firmware", "tmpfs", MS_RDONLY, "")`,
	}, f.fake.CallStrings())
}

func TestFinalizeMaskRefusesFakeDevNull(t *testing.T) {
	for name, setup := range map[string]func(t *testing.T, f *fixture){
		"regular file": func(t *testing.T, f *fixture) { f.write(t, "dev/null", "") },
		"wrong device": func(t *testing.T, f *fixture) { devNullFake(t, f, unix.Mkdev(1, 5)) },
		"symlink to a host-ish file": func(t *testing.T, f *fixture) {
			f.write(t, "etc/shadow", "x")
			f.mkdir(t, "dev")
			require.NoError(t, os.Symlink("../etc/shadow", filepath.Join(f.rootfs, "dev/null")))
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			setup(t, f)
			f.write(t, "proc/kcore", "secret")
			spec := specWith()
			spec.Linux.MaskedPaths = []string{"/proc/kcore"}
			err := Finalize(f.fake, f.opts(spec))
			require.ErrorIs(t, err, ErrNotDevNull)
			require.ErrorContains(t, err, "masked path /proc/kcore:")
			require.Empty(t, f.fake.Calls(), "nothing may be mounted from an unverified /dev/null")
		})
	}
}

func TestFinalizeDevReadonlyRemount(t *testing.T) {
	f := newFixture(t)
	f.mkdir(t, "dev")
	spec := specWith(specs.Mount{Destination: "/dev", Type: "devtmpfs", Source: "udev", Options: []string{"ro", "nosuid"}})
	require.NoError(t, Finalize(f.fake, f.opts(spec)))
	require.Equal(t, []string{`mount("", "/dev", "", MS_RDONLY|MS_NOSUID|MS_REMOUNT, "")`}, f.fake.CallStrings())
}

func TestFinalizeOrder(t *testing.T) {
	f := newFixture(t)
	devNullFake(t, f, unix.Mkdev(1, 3))
	f.mkdir(t, "tmp")
	f.mkdir(t, "proc/sys")
	f.write(t, "proc/kcore", "")
	f.fake.FstatfsFunc = func(int, string, *unix.Statfs_t) error { return nil }
	spec := specWith(specs.Mount{Destination: "/tmp", Type: "tmpfs", Options: []string{"ro"}})
	spec.Root.Readonly = true
	spec.Linux.ReadonlyPaths = []string{"/proc/sys"}
	spec.Linux.MaskedPaths = []string{"/proc/kcore"}
	require.NoError(t, Finalize(f.fake, f.opts(spec)))
	var targets []string
	for _, c := range f.fake.Calls() {
		targets = append(targets, c.Paths[1])
	}
	require.Equal(t, "/tmp /proc/sys /proc/sys /proc/kcore /", strings.Join(targets, " "),
		"tmpfs ro, then readonly paths, then masks, then the root")
}

func TestFinalizeTargetsMagicLinksWhenContainerHasProcfs(t *testing.T) {
	for _, hasProc := range []bool{true, false} {
		t.Run(fmt.Sprint("procfs=", hasProc), func(t *testing.T) {
			f := newFixture(t)
			devNullFake(t, f, unix.Mkdev(1, 3))
			f.write(t, "proc/kcore", "")
			f.fake.StatfsFunc = func(path string, st *unix.Statfs_t) error {
				if hasProc && path == "/proc/thread-self/fd" {
					st.Type = unix.PROC_SUPER_MAGIC
				}
				return nil
			}
			spec := specWith()
			spec.Linux.MaskedPaths = []string{"/proc/kcore"}
			require.NoError(t, Finalize(f.fake, f.opts(spec)))
			calls := f.fake.Calls()
			require.Len(t, calls, 1)
			require.Equal(t, `mount("/dev/null", "/proc/kcore", "", MS_BIND, "")`, calls[0].String())
			if hasProc {
				require.Regexp(t, `^/proc/thread-self/fd/\d+$`, calls[0].Raw[0])
				require.Regexp(t, `^/proc/thread-self/fd/\d+$`, calls[0].Raw[1])
			} else {
				require.Equal(t, []string{filepath.Join(f.rootfs, "dev/null"), filepath.Join(f.rootfs, "proc/kcore")}, calls[0].Raw)
			}
		})
	}
}
