package stopat

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Unset or another step: Here returns at once.
func TestHereIsInertUnlessNamed(t *testing.T) {
	at = ""
	Here("create:cgroup")
	at = "create:fifo"
	Here("create:cgroup")
	at = ""
}

// A process reaching the named step blocks with its thread named Comm,
// and goes on past every other step.
func TestHereBlocksAtTheNamedStep(t *testing.T) {
	if os.Getenv("STOPAT_CHILD") == "1" {
		Here("a")
		Here("b")
		os.Exit(3) // not reached
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHereBlocksAtTheNamedStep$")
	cmd.Env = append(os.Environ(), "STOPAT_CHILD=1", Env+"=b")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tasks, _ := filepath.Glob("/proc/" + itoa(cmd.Process.Pid) + "/task/*/comm")
		for _, f := range tasks {
			if b, _ := os.ReadFile(f); strings.TrimSpace(string(b)) == Comm {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never stopped at step b")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func itoa(n int) string {
	var b []byte
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
