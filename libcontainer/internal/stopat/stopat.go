// Package stopat lets fault-injection tests stop a runtime process at a
// named step of its work, to kill it there (tests/integration's
// TestFaultKill*). It is compiled in always and inert unless the
// environment variable GOCONTAINER_TEST_STOP_AT names a step: then the
// process that reaches that step renames its thread to [Comm] and blocks
// there forever, waiting for the test's SIGKILL. Blocking rather than
// SIGSTOP: a container init is its pid namespace's pid 1, which ignores a
// SIGSTOP sent from inside the namespace.
//
// The cost when unset is one string comparison per step; the variable is
// read once, at package initialisation.
package stopat

import (
	"os"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Env is the variable naming the step to stop at, e.g.
// "create:cgroup" or "init:prepare rootfs".
const Env = "GOCONTAINER_TEST_STOP_AT"

// Comm is the thread name of a process stopped at its step, for the test
// to find it in /proc/<pid>/task/<tid>/comm.
const Comm = "gc-stopped"

var at = os.Getenv(Env)

// Armed reports whether a step is named: the runtime then passes the
// variable on to the container init it starts.
func Armed() bool { return at != "" }

// EnvVar is "GOCONTAINER_TEST_STOP_AT=<step>", for a child's environment.
func EnvVar() string { return Env + "=" + at }

// Here blocks forever if name is the step named by the environment.
func Here(name string) {
	if at == "" || at != name {
		return
	}
	runtime.LockOSThread()
	if p, err := unix.BytePtrFromString(Comm); err == nil {
		_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(p)), 0, 0, 0)
	}
	for {
		time.Sleep(time.Hour)
	}
}
