// Package libseccomp turns an OCI linux.seccomp profile into a loaded
// seccomp filter (through seccomp/libseccomp-golang) and reports what the
// host's libseccomp supports.
//
// NewFilter follows runc's translation rules (see filter_linux.go) and
// generates the BPF program; Load installs it with seccomp(2) on every
// thread (TSYNC), allocating nothing (see program_linux.go), and leaves
// no_new_privs to the caller. SCMP_ACT_NOTIFY rules are allowed except as the default action and
// on write; after Load, NotifyFd returns the listener fd for the agent at
// linux.seccomp.listenerPath. Syscalls newer than the profile fail with
// ENOSYS (see enosysNewerSyscalls).
package libseccomp
