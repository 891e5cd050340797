// Package syscall is the kernel boundary of libcontainer: the Syscall
// interface lists every privileged or process-state-changing call that the
// rootfs (and later namespace/capability) code makes, so that code can be unit
// tested against the recording Fake instead of the kernel.
//
// The package is named syscall after youki's syscall module; importers that
// also need the standard library's syscall package alias one of them.
//
// Rule of thumb for what belongs here: calls that need privilege or change
// process/mount-namespace state (mount, pivot_root, mknod, chown, ...) go
// through the interface; unprivileged path resolution and read-only queries
// (openat of O_PATH handles, stat) may be done directly, and the Fake passes
// the read-only queries through to the real kernel by default.
package syscall
