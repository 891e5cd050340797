package common_test

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups/common"
)

// fakeFreezer records freezer calls around a tree of one live process
// (this test process, signalled with the harmless signal 0).
type fakeFreezer struct {
	state     common.FreezerState
	freezeErr error
	calls     []common.FreezerState
}

func (f *fakeFreezer) FreezerState() (common.FreezerState, error) { return f.state, nil }
func (f *fakeFreezer) AllPids() ([]int, error)                    { return []int{os.Getpid()}, nil }
func (f *fakeFreezer) Freeze(s common.FreezerState) error {
	f.calls = append(f.calls, s)
	if f.freezeErr != nil {
		return f.freezeErr
	}
	f.state = s
	return nil
}

func TestSignalFrozenFreezesAThawedTreeAndLeavesAFrozenOneFrozen(t *testing.T) {
	for _, tc := range []struct {
		name      string
		state     common.FreezerState
		freezeErr error
		calls     []common.FreezerState
		end       common.FreezerState
		warned    bool
	}{
		{"thawed: frozen around the signal", common.Thawed, nil, []common.FreezerState{common.Frozen, common.Thawed}, common.Thawed, false},
		{"paused: stays frozen", common.Frozen, nil, nil, common.Frozen, false},
		{"no freezer: signalled as is", common.Undefined, nil, nil, common.Undefined, false},
		{"freeze fails: warned, signalled unfrozen", common.Thawed, errors.New("busy"), []common.FreezerState{common.Frozen}, common.Thawed, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeFreezer{state: tc.state, freezeErr: tc.freezeErr}
			warned := false
			require.NoError(t, common.SignalFrozen(f, unix.Signal(0), func(error) { warned = true }))
			require.Equal(t, tc.calls, f.calls)
			require.Equal(t, tc.end, f.state)
			require.Equal(t, tc.warned, warned)
		})
	}
}
