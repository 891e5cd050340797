// Package libseccomp turns an OCI linux.seccomp profile into a loaded
// seccomp filter (through seccomp/libseccomp-golang) and reports what the
// host's libseccomp supports.
package libseccomp
