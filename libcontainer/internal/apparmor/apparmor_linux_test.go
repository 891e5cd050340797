package apparmor

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeThreadSelf serves /proc/thread-self files from a temp dir.
type fakeThreadSelf struct {
	dir    string
	opened []string
}

func (f *fakeThreadSelf) OpenThreadSelf(name string, flags int) (*os.File, error) {
	f.opened = append(f.opened, name)
	return os.OpenFile(filepath.Join(f.dir, name), flags, 0)
}

func newFake(t *testing.T, files ...string) *fakeThreadSelf {
	t.Helper()
	dir := t.TempDir()
	for _, name := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	return &fakeThreadSelf{dir: dir}
}

func TestApplyWritesExecProfileToThePerLSMFile(t *testing.T) {
	f := newFake(t, "attr/apparmor/exec", "attr/exec")
	require.NoError(t, ApplyWith(f, "docker-default"))
	b, err := os.ReadFile(filepath.Join(f.dir, "attr/apparmor/exec"))
	require.NoError(t, err)
	require.Equal(t, "exec docker-default", string(b))
	b, err = os.ReadFile(filepath.Join(f.dir, "attr/exec"))
	require.NoError(t, err)
	require.Empty(t, b, "the shared attr/exec must not be written when the per-LSM file exists")
}

func TestApplyFallsBackToAttrExecOnOldKernels(t *testing.T) {
	f := newFake(t, "attr/exec")
	require.NoError(t, ApplyWith(f, "my-profile"))
	require.Equal(t, []string{"attr/apparmor/exec", "attr/exec"}, f.opened)
	b, err := os.ReadFile(filepath.Join(f.dir, "attr/exec"))
	require.NoError(t, err)
	require.Equal(t, "exec my-profile", string(b))
}

func TestApplyReportsTheProfileWhenTheWriteFails(t *testing.T) {
	f := newFake(t)
	err := ApplyWith(f, "p")
	require.ErrorContains(t, err, `apparmor profile "p"`)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestApplyEmptyProfileDoesNothing(t *testing.T) {
	f := newFake(t)
	require.NoError(t, ApplyWith(f, ""))
	require.Empty(t, f.opened)
}

func TestCheck(t *testing.T) {
	require.NoError(t, checkWith("", false))
	require.NoError(t, checkWith("p", true))
	err := checkWith("p", false)
	require.ErrorIs(t, err, ErrNotEnabled)
	require.EqualError(t, err, `process.apparmorProfile "p": AppArmor is not enabled on this host`)
	require.ErrorContains(t, checkWith("a\nb", true), "newline")
}

func TestEnabledReadsTheModuleParameter(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]bool{"Y\n": true, "N\n": false, "": false} {
		p := filepath.Join(dir, "enabled")
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		require.Equal(t, want, enabledAt(p), "%q", content)
	}
	require.False(t, enabledAt(filepath.Join(dir, "missing")))
}

// On this host the real path is taken when the module is absent.
func TestApplyThroughTheRealProcfsReachesTheKernel(t *testing.T) {
	if Enabled() {
		t.Skip("AppArmor is enabled here: applying a profile would confine the test binary's next exec")
	}
	// Without AppArmor the kernel has no apparmor attr directory, and the
	// shared attr/exec refuses the write (EINVAL) or is absent: either way
	// the error names the profile, so a create on such a host would never
	// start a process unconfined.
	err := Apply("gocontainer-test")
	require.Error(t, err)
	require.ErrorContains(t, err, `apparmor profile "gocontainer-test"`)
	t.Log(err)
}
