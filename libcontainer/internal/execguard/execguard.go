// Package execguard ends the container init when seccomp kills the thread
// that is about to exec the container process.
//
// SCMP_ACT_KILL is SECCOMP_RET_KILL_THREAD: the kernel kills the thread
// that made the syscall, not the process. In the init that thread is the
// one that loads the filter and then calls execve (or setresuid, capset,
// ... in between); the init's other Go threads live on, the process never
// exits, and whoever waits for it (a foreground run, the shim) waits
// forever (runc 1.1 hangs the same way). Start, called on that thread
// right before the filter is loaded, starts a guard thread outside the Go
// runtime, waiting on the calling thread's clear_child_tid futex
// (set_tid_address(2)): the kernel wakes it when the thread exits, and
// the guard ends the whole process with the given status. A successful
// execve ends the guard thread first (every other thread dies at exec), so
// the container process never sees it.
//
// The guard is C because it must run when the Go runtime cannot: the dead
// thread may hold the only P (GOMAXPROCS=1) or the runtime's exec lock, so
// no goroutine would ever be scheduled again.
package execguard

// #cgo CFLAGS: -Wall -Wextra -O2
// int gc_execguard_start(int status);
import "C"

import "errors"

// Start guards the calling OS thread (the caller has it locked): if the
// thread exits, the process exits with status.
func Start(status int) error {
	if C.gc_execguard_start(C.int(status)) != 0 {
		return errors.New("start the exec guard thread")
	}
	return nil
}
