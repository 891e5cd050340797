//go:build linux && mips

package devices

import "unsafe"

// ptr is a bpf_attr __aligned_u64 that holds a user pointer (see
// bpfptr_64bit_linux.go): on a big-endian 32-bit host, the pointer is the
// high-address half.
type ptr struct {
	_ uint32
	p unsafe.Pointer
}
