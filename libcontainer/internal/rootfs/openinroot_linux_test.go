package rootfs

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// fdPath is where the kernel says an fd points.
func fdPath(t *testing.T, f *os.File) string {
	t.Helper()
	p, err := os.Readlink(filepath.Join("/proc/self/fd", strconv.Itoa(int(f.Fd()))))
	require.NoError(t, err)
	return p
}

func TestOpenInRootKeepsSymlinksAndDotDotInsideTheRoot(t *testing.T) {
	outside := t.TempDir() // stands for a host directory
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "in", "target"), 0o755))
	// An absolute symlink to a host path, and one climbing out with "..".
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "abs")))
	require.NoError(t, os.Symlink("../../../../../../..", filepath.Join(root, "in", "up")))
	rf, err := os.Open(root)
	require.NoError(t, err)
	defer rf.Close()

	for dest, want := range map[string]string{
		"/in/target":       filepath.Join(root, "in", "target"),
		"/in/up/in/target": filepath.Join(root, "in", "target"),
		"/../../in":        filepath.Join(root, "in"),
	} {
		h, err := openInRoot(rf, dest)
		require.NoError(t, err, dest)
		require.Equal(t, want, fdPath(t, h), dest)
		h.Close()
	}
	// The absolute symlink resolves inside the root, where it does not
	// exist: never to the host directory.
	_, err = openInRoot(rf, "/abs")
	require.True(t, errors.Is(err, os.ErrNotExist), "got %v", err)
	// A regular file is not a directory for mkdirAllInRoot.
	require.NoError(t, os.WriteFile(filepath.Join(root, "file"), nil, 0o644))
	_, err = mkdirAllInRoot(rf, "/file", 0o755)
	require.True(t, errors.Is(err, unix.ENOTDIR), "got %v", err)
}

func TestMkdirAllInRootOpensOrCreatesInsideTheRoot(t *testing.T) {
	outside := t.TempDir()
	root := t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "host")))
	rf, err := os.Open(root)
	require.NoError(t, err)
	defer rf.Close()

	h, err := mkdirAllInRoot(rf, "/", 0o755)
	require.NoError(t, err)
	require.Equal(t, root, fdPath(t, h))
	h.Close()
	// Missing: created under the root.
	h, err = mkdirAllInRoot(rf, "/a/b", 0o755)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(root, "a", "b"), fdPath(t, h))
	h.Close()
	// Through a symlink to a host path: never created on the host
	// (MkdirAllHandle refuses the dangling in-root target).
	if h, err := mkdirAllInRoot(rf, "/host/c", 0o755); err == nil {
		require.Equal(t, filepath.Join(root, outside, "c"), fdPath(t, h))
		h.Close()
	}
	ents, err := os.ReadDir(outside)
	require.NoError(t, err)
	require.Empty(t, ents, "nothing may be created in the host directory")
}

func TestSubdirTakesOneComponentAndNoSymlink(t *testing.T) {
	top := t.TempDir()
	tf, err := os.Open(top)
	require.NoError(t, err)
	defer tf.Close()
	h, err := subdir(tf, "cpu,cpuacct")
	require.NoError(t, err)
	require.Equal(t, filepath.Join(top, "cpu,cpuacct"), fdPath(t, h))
	h.Close()
	// Existing is fine.
	h, err = subdir(tf, "cpu,cpuacct")
	require.NoError(t, err)
	h.Close()
	for _, bad := range []string{"a/b", "..", "."} {
		_, err := subdir(tf, bad)
		require.Error(t, err, bad)
	}
	require.NoError(t, os.Symlink(t.TempDir(), filepath.Join(top, "link")))
	_, err = subdir(tf, "link")
	require.Error(t, err, "a symlink must not be followed")
}
