package selinux

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

type fakeThreadSelf struct{ dir string }

func (f *fakeThreadSelf) OpenThreadSelf(name string, flags int) (*os.File, error) {
	return os.OpenFile(filepath.Join(f.dir, name), flags, 0)
}

func newFake(t *testing.T) *fakeThreadSelf {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "attr"), 0o755))
	for _, n := range []string{"exec", "keycreate"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "attr", n), []byte("old"), 0o644))
	}
	return &fakeThreadSelf{dir: dir}
}

func read(t *testing.T, f *fakeThreadSelf, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "attr", name))
	require.NoError(t, err)
	return string(b)
}

const label = "system_u:system_r:container_t:s0:c1,c2"

func TestSetExecLabelWritesAttrExec(t *testing.T) {
	f := newFake(t)
	require.NoError(t, SetExecLabelWith(f, label))
	require.Equal(t, label, read(t, f, "exec"))
	require.Equal(t, "old", read(t, f, "keycreate"))
}

func TestSetExecLabelEmptyDoesNothing(t *testing.T) {
	f := newFake(t)
	require.NoError(t, SetExecLabelWith(f, ""))
	require.Equal(t, "old", read(t, f, "exec"))
}

func TestSetKeyLabelWritesAndResets(t *testing.T) {
	f := newFake(t)
	require.NoError(t, SetKeyLabelWith(f, label))
	require.Equal(t, label, read(t, f, "keycreate"))
	require.NoError(t, os.Truncate(filepath.Join(f.dir, "attr", "keycreate"), 0))
	require.NoError(t, SetKeyLabelWith(f, ""))
	require.Equal(t, "", read(t, f, "keycreate"))
}

func TestLabelWriteErrorsNameTheLabel(t *testing.T) {
	f := &fakeThreadSelf{dir: t.TempDir()}
	require.ErrorContains(t, SetExecLabelWith(f, label), `selinux process label "`+label+`"`)
	require.ErrorContains(t, SetKeyLabelWith(f, label), `selinux keyring label "`+label+`"`)
	require.ErrorContains(t, SetKeyLabelWith(f, ""), "reset keyring label")
}

func TestFormatMountLabel(t *testing.T) {
	for _, tc := range []struct{ data, label, want string }{
		{"", "", ""},
		{"mode=755", "", "mode=755"},
		{"", "system_u:object_r:container_file_t:s0", `context="system_u:object_r:container_file_t:s0"`},
		{"mode=755,size=65536k", "system_u:object_r:container_file_t:s0:c1,c2",
			`mode=755,size=65536k,context="system_u:object_r:container_file_t:s0:c1,c2"`},
	} {
		require.Equal(t, tc.want, FormatMountLabel(tc.data, tc.label))
	}
}

func TestTakesMountLabel(t *testing.T) {
	for fstype, want := range map[string]bool{
		"tmpfs": true, "devpts": true, "overlay": true, "shm": true,
		"proc": false, "sysfs": false, "cgroup": false, "cgroup2": false, "mqueue": false, "bind": false, "": false,
	} {
		require.Equal(t, want, TakesMountLabel(fstype), fstype)
	}
}

func TestCheckLabel(t *testing.T) {
	require.NoError(t, CheckLabel("process.selinuxLabel", ""))
	require.NoError(t, CheckLabel("process.selinuxLabel", "system_u:system_r:container_t:s0"))
	require.NoError(t, CheckLabel("process.selinuxLabel", "system_u:system_r:container_t:s0:c1,c2"))
	for _, bad := range []string{"container_t", "a:b:c\n", `a:b:"c`} {
		err := CheckLabel("linux.mountLabel", bad)
		require.ErrorIs(t, err, ErrBadLabel, bad)
		require.ErrorContains(t, err, "linux.mountLabel")
	}
}

func TestEnabledIsFalseWithoutSelinuxfs(t *testing.T) {
	if _, err := os.Stat(selinuxfsPath + "/enforce"); err == nil {
		t.Skip("SELinux is enabled on this host")
	}
	require.False(t, Enabled())
}
