package procfs

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A thread's status file shows its own id as Pid and the process's as
// Tgid; a test thread other than the main one tells thread-self from self.
func TestOpenThreadSelfFindsTheCallingThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	h, err := Open()
	require.NoError(t, err)
	defer h.Close()
	f, err := h.OpenThreadSelf("status", unix.O_RDONLY)
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	require.Contains(t, string(b), fmt.Sprintf("\nPid:\t%d\n", unix.Gettid()))
	require.Contains(t, string(b), fmt.Sprintf("\nTgid:\t%d\n", os.Getpid()))
}
