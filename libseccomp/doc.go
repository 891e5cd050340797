// Package libseccomp turns an OCI linux.seccomp profile into a loaded
// seccomp filter (through seccomp/libseccomp-golang) and reports what the
// host's libseccomp supports.
//
// NewFilter follows runc's translation rules (see filter_linux.go); Load
// installs the filter on every thread (TSYNC) and leaves no_new_privs to the
// caller. SCMP_ACT_NOTIFY is refused for now (ErrNotifyUnsupported), and
// there is no ENOSYS stub for syscalls newer than the profile (runc's
// patchbpf): a default errno action applies to them as well.
package libseccomp
