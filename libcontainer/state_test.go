package libcontainer

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestSaveStateIsAtomicAndRoundTrips(t *testing.T) {
	dir := t.TempDir()
	in := &State{ID: "c1", Bundle: "/b", InitPid: 42, InitStart: 7, Created: time.Unix(1, 0).UTC(),
		CgroupPaths: map[string]string{"pids": "/sys/fs/cgroup/pids/c1"}}
	require.NoError(t, saveState(dir, in))
	out, err := loadState(dir)
	require.NoError(t, err)
	require.Equal(t, in, out)

	// No temp file is left next to state.json.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, stateFile, entries[0].Name())
}

func TestLoadStateReportsCorruptFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, stateFile), []byte("{"), 0o600))
	_, err := loadState(dir)
	require.ErrorContains(t, err, "decode "+filepath.Join(dir, stateFile))
}

func TestLockDirExcludesOtherHolders(t *testing.T) {
	dir := t.TempDir()
	l, err := lockDir(dir)
	require.NoError(t, err)
	// A second, independent open file description cannot take the lock
	// while the first holds it.
	f, err := os.Open(dir)
	require.NoError(t, err)
	defer f.Close()
	require.ErrorIs(t, unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB), unix.EWOULDBLOCK)
	require.NoError(t, l.Close())
	require.NoError(t, unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB))
}

func TestLockDirOfMissingContainer(t *testing.T) {
	_, err := lockDir(filepath.Join(t.TempDir(), "nope"))
	require.ErrorIs(t, err, ErrNotExist)
}

func TestStatusIsDerivedFromInitAndFifo(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "c1")
	require.NoError(t, os.Mkdir(dir, 0o700))
	self, err := readProcStat(os.Getpid())
	require.NoError(t, err)

	c := &Container{root: root, dir: dir, state: &State{ID: "c1"}}
	require.Equal(t, StatusStopped, c.Status(), "no init pid")

	c.state.InitPid, c.state.InitStart = os.Getpid(), self.start
	require.Equal(t, StatusCreating, c.Status(), "init alive, not ready")

	c.state.InitReady = true
	require.NoError(t, unix.Mkfifo(filepath.Join(dir, execFifo), 0o600))
	// The init holds the fifo (O_PATH) until its execve.
	fd, err := unix.Open(filepath.Join(dir, execFifo), unix.O_PATH|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	require.Equal(t, StatusCreated, c.Status())

	// A fifo the init no longer holds was left by a start killed after
	// it released the init: the container runs.
	require.NoError(t, unix.Close(fd))
	require.Equal(t, StatusRunning, c.Status(), "abandoned fifo")

	require.NoError(t, os.Remove(filepath.Join(dir, execFifo)))
	require.Equal(t, StatusRunning, c.Status())

	c.state.InitStart++ // the pid now belongs to another process
	require.Equal(t, StatusStopped, c.Status())
	require.Zero(t, c.OCIState().Pid, "a stopped container reports no pid")
}

func TestListSkipsInvalidNames(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"b", "a", "not valid"} {
		require.NoError(t, os.Mkdir(filepath.Join(root, d), 0o700))
	}
	ids, err := List(root)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, ids)
	ids, err = List(filepath.Join(root, "missing"))
	require.NoError(t, err)
	require.Empty(t, ids)
}
