package execguard

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMain runs the helper modes of the test binary: "die" guards a
// thread and lets it exit (a goroutine that ends while locked takes its
// thread with it, as SECCOMP_RET_KILL_THREAD would); "live" guards a
// thread that stays.
func TestMain(m *testing.M) {
	switch os.Getenv("EXECGUARD_HELPER") {
	case "die":
		// The main thread stays with the main goroutine: Go never ends
		// the main thread (it wedges it), any other it does.
		runtime.LockOSThread()
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			if err := Start(42); err != nil {
				os.Exit(3)
			}
			close(done)
			// Returning while locked ends the OS thread.
		}()
		<-done
		time.Sleep(10 * time.Second) // the guard ends the process long before
		os.Exit(0)
	case "live":
		runtime.LockOSThread()
		if err := Start(42); err != nil {
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func helper(t *testing.T, mode string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "EXECGUARD_HELPER="+mode)
	err := cmd.Run()
	if err == nil {
		return 0
	}
	ee, ok := err.(*exec.ExitError)
	require.True(t, ok, "run helper: %v", err)
	return ee.ExitCode()
}

func TestGuardEndsTheProcessWhenTheThreadDies(t *testing.T) {
	start := time.Now()
	require.Equal(t, 42, helper(t, "die"))
	require.Less(t, time.Since(start), 5*time.Second, "the guard waited instead of reacting")
}

func TestGuardLeavesALiveThreadAlone(t *testing.T) {
	require.Equal(t, 0, helper(t, "live"))
}
