package syscall

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestMountFlagsString(t *testing.T) {
	for _, tt := range []struct {
		flags uintptr
		want  string
	}{
		{0, "0"},
		{unix.MS_BIND | unix.MS_REC, "MS_BIND|MS_REC"},
		{unix.MS_RDONLY | unix.MS_REMOUNT | unix.MS_BIND, "MS_RDONLY|MS_REMOUNT|MS_BIND"},
		{unix.MS_SLAVE | unix.MS_REC, "MS_REC|MS_SLAVE"},
		{1 << 40, "0x10000000000"},
		{unix.MS_NOSUID | 1<<40, "MS_NOSUID|0x10000000000"},
	} {
		require.Equal(t, tt.want, MountFlagsString(tt.flags))
	}
}

func TestFakeRecordsWithContainerPathsAndDoesNotMount(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "dev"), 0o755))
	dev, err := os.Open(filepath.Join(root, "dev"))
	require.NoError(t, err)
	defer dev.Close()

	f := &Fake{Root: root}
	require.NoError(t, f.Mount("tmpfs", FdPath(int(dev.Fd())), "tmpfs", unix.MS_NOSUID, "mode=755"))
	require.NoError(t, f.Mknodat(int(dev.Fd()), "null", unix.S_IFCHR|0o666, unix.Mkdev(1, 3)))
	require.NoError(t, f.Symlinkat("pts/ptmx", int(dev.Fd()), "ptmx"))
	require.NoError(t, f.PivotRoot(".", "."))
	require.NoError(t, f.Unmount("/outside", unix.MNT_DETACH))
	require.Equal(t, []string{
		`mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755")`,
		`mknod("/dev/null", c0666, 1:3)`,
		`symlink("pts/ptmx", "/dev/ptmx")`,
		`pivot_root(".", ".")`,
		`umount2("/outside", 0x2)`,
	}, f.CallStrings())
	_, err = os.Lstat(filepath.Join(root, "dev/null"))
	require.ErrorIs(t, err, os.ErrNotExist, "the fake must not create nodes")

	// Mkdirat is performed for real.
	require.NoError(t, f.Mkdirat(int(dev.Fd()), "pts", 0o755))
	require.DirExists(t, filepath.Join(root, "dev/pts"))

	f.Reset()
	require.Empty(t, f.Calls())
}

func TestFakeInjectsErrors(t *testing.T) {
	f := &Fake{Err: func(c Call) error {
		if c.Name == "mount" && c.Paths[1] == "/bad" {
			return unix.EBUSY
		}
		return nil
	}}
	require.NoError(t, f.Mount("", "/good", "", unix.MS_PRIVATE, ""))
	require.ErrorIs(t, f.Mount("", "/bad", "", unix.MS_PRIVATE, ""), unix.EBUSY)
	require.Len(t, f.Calls(), 2, "failed calls are recorded too")
	require.Equal(t, uintptr(unix.MS_PRIVATE), f.Calls()[1].Flags)
}

func TestFakeQueriesPassThroughOrOverride(t *testing.T) {
	f := &Fake{RecordQueries: true}
	var st unix.Statfs_t
	require.NoError(t, f.Statfs("/proc", &st))
	require.Equal(t, int64(unix.PROC_SUPER_MAGIC), int64(st.Type))
	f.StatfsFunc = func(string, *unix.Statfs_t) error { return unix.ENOENT }
	require.ErrorIs(t, f.Statfs("/proc", &st), unix.ENOENT)
	mounts, err := f.MountInfo()
	require.NoError(t, err)
	require.Empty(t, mounts, "the fake never returns the host's mount table unless told to")
	require.Equal(t, []string{`statfs("/proc")`, `statfs("/proc")`, `mountinfo()`}, f.CallStrings())
}

func TestLinuxQueries(t *testing.T) {
	s := NewLinux()
	fd, err := s.Open("/proc/self", unix.O_PATH|unix.O_DIRECTORY, 0)
	require.NoError(t, err)
	defer s.Close(fd)
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.NoError(t, err)
	require.NotZero(t, flags&unix.FD_CLOEXEC, "Open must add O_CLOEXEC")
	var sfs unix.Statfs_t
	require.NoError(t, s.Fstatfs(fd, &sfs))
	require.Equal(t, int64(unix.PROC_SUPER_MAGIC), int64(sfs.Type))
	mounts, err := s.MountInfo()
	require.NoError(t, err)
	require.NotEmpty(t, mounts)
	data, err := s.ReadFile("/proc/self/cgroup")
	require.NoError(t, err)
	require.NotEmpty(t, data)
	err = s.Mount("", "/nonexistent-gocontainer-test", "", unix.MS_PRIVATE, "")
	require.Error(t, err, "errors come back as the raw errno")
	var errno unix.Errno
	require.ErrorAs(t, err, &errno)
}

// A test drives code that mounts through Syscall with the Fake and checks
// the exact calls.
func ExampleFake() {
	f := &Fake{Root: "/run/ctr/rootfs"}
	_ = f.Mount("proc", "/run/ctr/rootfs/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	_ = f.Mount("", "/run/ctr/rootfs", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, "")
	for _, c := range f.CallStrings() {
		fmt.Println(c)
	}
	// Output:
	// mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, "")
	// mount("", "/", "", MS_RDONLY|MS_REMOUNT|MS_BIND, "")
}
