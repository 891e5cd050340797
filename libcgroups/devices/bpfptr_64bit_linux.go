//go:build linux && (amd64 || arm64 || loong64 || mips64 || mips64le || ppc64 || ppc64le || riscv64 || s390x || sparc64)

package devices

import "unsafe"

// ptr is a bpf_attr __aligned_u64 that holds a user pointer. It is an
// unsafe.Pointer, not an integer, so the garbage collector keeps the buffer
// alive, and moves the pointer along with the buffer when a goroutine stack
// holding both is copied. The 32-bit variants pad it to 8 bytes.
type ptr struct {
	p unsafe.Pointer
}
