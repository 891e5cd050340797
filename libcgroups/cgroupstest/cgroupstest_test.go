package cgroupstest_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups"
	"github.com/gocontainer/gocontainer/libcgroups/cgroupstest"
)

func TestFakeRecordsCallsAndTracksState(t *testing.T) {
	m := cgroupstest.New("/fake/ctr")
	var mgr libcgroups.Manager = m
	require.False(t, mgr.Exists())
	require.ErrorIs(t, mgr.AddTask(5), libcgroups.ErrNotExist)
	require.NoError(t, mgr.Apply(10))
	require.NoError(t, mgr.AddTask(11))
	pids, err := mgr.AllPids()
	require.NoError(t, err)
	require.Equal(t, []int{10, 11}, pids)
	require.NoError(t, mgr.Freeze(libcgroups.Frozen))
	st, err := mgr.FreezerState()
	require.NoError(t, err)
	require.Equal(t, libcgroups.Frozen, st)
	require.NoError(t, mgr.Kill(unix.SIGKILL))
	require.NoError(t, mgr.Destroy())
	require.False(t, mgr.Exists())
	require.Equal(t, map[string]string{"": "/fake/ctr"}, mgr.Paths())
	require.Equal(t, []string{"Exists", "AddTask", "Apply", "AddTask", "AllPids", "Freeze", "FreezerState", "Kill", "Destroy", "Exists", "Paths"}, m.Methods())
	require.Equal(t, unix.SIGKILL, m.Calls()[7].Signal)
}

func TestFakeInjectsErrors(t *testing.T) {
	boom := errors.New("boom")
	m := cgroupstest.New("/x")
	m.Errors = map[string]error{"Apply": boom}
	require.ErrorIs(t, m.Apply(1), boom)
	require.False(t, m.Exists())
}
