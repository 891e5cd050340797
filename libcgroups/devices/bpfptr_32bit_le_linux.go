//go:build linux && (386 || arm || mipsle)

package devices

import "unsafe"

// ptr is a bpf_attr __aligned_u64 that holds a user pointer (see
// bpfptr_64bit_linux.go): on a little-endian 32-bit host, the pointer is
// the low half.
type ptr struct {
	p unsafe.Pointer
	_ uint32
}
