package idmap

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("idmapped mounts need root (CAP_SYS_ADMIN in the initial user namespace)")
	}
}

func TestUserNSHasTheRequestedMappings(t *testing.T) {
	needRoot(t)
	f, err := UserNS([]specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}},
		[]specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 10}, {ContainerID: 10, HostID: 300000, Size: 5}})
	require.NoError(t, err)
	defer f.Close()
	var st unix.Stat_t
	require.NoError(t, unix.Fstat(int(f.Fd()), &st))
	var self unix.Stat_t
	require.NoError(t, unix.Stat("/proc/self/ns/user", &self))
	require.NotEqual(t, self.Ino, st.Ino, "not a new user namespace")
}

func TestUserNSNeedsBothMappings(t *testing.T) {
	_, err := UserNS(nil, []specs.LinuxIDMapping{{Size: 1}})
	require.ErrorContains(t, err, "both uid and gid mappings")
}

// The detached clone shows files with the mapped owner: on-disk 1000 is
// mapped to 100000 by the mount's "1000 100000 1" mapping, and a file
// created as 100000 through it lands on disk as 1000.
func TestCloneIdmapsTheSource(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), nil, 0o644))
	require.NoError(t, os.Chown(filepath.Join(dir, "f"), 1000, 1000))
	m := []specs.LinuxIDMapping{{ContainerID: 1000, HostID: 100000, Size: 1}}
	ns, err := UserNS(m, m)
	require.NoError(t, err)
	defer ns.Close()
	mnt, err := Clone(dir, int(ns.Fd()), false, false)
	if errors.Is(err, ErrNotSupported) {
		t.Skipf("the filesystem of %s cannot be idmapped here: %v", dir, err)
	}
	require.NoError(t, err)
	defer mnt.Close()
	var st unix.Stat_t
	require.NoError(t, unix.Fstatat(int(mnt.Fd()), "f", &st, 0))
	require.Equal(t, uint32(100000), st.Uid)
	require.Equal(t, uint32(100000), st.Gid)
	// The on-disk view is unchanged.
	require.NoError(t, unix.Stat(filepath.Join(dir, "f"), &st))
	require.Equal(t, uint32(1000), st.Uid)
}

func TestCloneOfAFilesystemWithoutIdmapSupportSaysSo(t *testing.T) {
	needRoot(t)
	ns, err := UserNS([]specs.LinuxIDMapping{{HostID: 1000, Size: 1}}, []specs.LinuxIDMapping{{HostID: 1000, Size: 1}})
	require.NoError(t, err)
	defer ns.Close()
	// procfs has no FS_ALLOW_IDMAP.
	_, err = Clone("/proc", int(ns.Fd()), false, false)
	require.ErrorIs(t, err, ErrNotSupported)
	require.ErrorContains(t, err, "filesystem of /proc does not support idmapped mounts")
}

func TestKey(t *testing.T) {
	a := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	b := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1001, Size: 1}}
	require.Equal(t, Key(a, b), Key(a, b))
	require.NotEqual(t, Key(a, b), Key(b, a))
}
