package libcontainer

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReadProcStatOfSelf(t *testing.T) {
	st, err := readProcStat(os.Getpid())
	require.NoError(t, err)
	require.NotZero(t, st.start)
	require.True(t, alive(os.Getpid(), st.start))
	require.False(t, alive(os.Getpid(), st.start+1), "a different start time means pid reuse")
}

func TestZombieIsNotAlive(t *testing.T) {
	cmd := exec.Command("true")
	require.NoError(t, cmd.Start())
	st, err := readProcStat(cmd.Process.Pid)
	require.NoError(t, err)
	// Not yet reaped: the process becomes a zombie, which must count as gone.
	require.Eventually(t, func() bool { return !alive(cmd.Process.Pid, st.start) }, 5*time.Second, time.Millisecond)
	require.NoError(t, cmd.Wait())
}
