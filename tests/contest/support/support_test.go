package support

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPollReturnsWhenTrue(t *testing.T) {
	n := 0
	err := Poll(context.Background(), time.Second, "thing", func() (bool, string, error) {
		n++
		return n == 3, "not yet", nil
	})
	require.NoError(t, err)
	require.Equal(t, 3, n)
}

func TestPollTimesOutWithLastReason(t *testing.T) {
	err := Poll(context.Background(), 30*time.Millisecond, "thing", func() (bool, string, error) {
		return false, "status created", nil
	})
	require.ErrorContains(t, err, "thing: not reached after 30ms (last: status created)")
}

func TestPollStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	err := Poll(context.Background(), time.Second, "thing", func() (bool, string, error) { return false, "", boom })
	require.ErrorIs(t, err, boom)
}

func TestRemoveCgroupRefusesRoots(t *testing.T) {
	for _, p := range []string{"", "/", "/a/../b"} {
		require.ErrorContains(t, RemoveCgroup(p), "refusing path")
	}
}

func TestCmdResultOk(t *testing.T) {
	require.NoError(t, CmdResult{Code: 0}.Ok())
	err := CmdResult{Args: []string{"kill", "x"}, Code: 1, Stderr: "container not found\n"}.Ok()
	require.EqualError(t, err, `["kill" "x"]: exit 1: container not found`)
}
