package devices

import (
	"encoding/binary"
	"fmt"
	"math"
)

// License is the license string the program is loaded with. It calls no
// GPL-only helper (no helper at all), so any string would do.
const License = "Apache"

// InsnSize is the size of one instruction (struct bpf_insn) in the bytes
// Filter.Program returns.
const InsnSize = 8

// Device types in bpf_cgroup_dev_ctx.access_type (BPF_DEVCG_DEV_*).
const (
	bpfDevBlock = 1
	bpfDevChar  = 2
)

// Program assembles the filter as a BPF_PROG_TYPE_CGROUP_DEVICE program
// and returns its instructions as the kernel takes them in BPF_PROG_LOAD:
// an array of struct bpf_insn in host byte order, InsnSize bytes each.
//
// The context is struct bpf_cgroup_dev_ctx (include/uapi/linux/bpf.h):
// u32 access_type (device type in the low 16 bits, BPF_DEVCG_ACC_* access
// bits in the high 16), u32 major, u32 minor. The program returns 1 to
// allow and 0 to deny. Every exception has the same verdict (the opposite
// of the default), so their order does not matter; Filter.Allows is the
// same decision in Go.
//
// Comparisons use 32-bit jumps (BPF_JMP32, Linux 5.1): the context fields
// are u32, and a 64-bit compare against a sign-extended immediate would
// never match a number of 2^31 or more.
//
// The program is encoded here rather than with cilium/ebpf/asm: importing
// any cilium/ebpf package costs every start of the runtime binary over a
// millisecond (its init pulls in debug/elf, go/parser, crypto, ...), and
// the program needs only eight opcodes. The tests check the bytes against
// cilium/ebpf/asm's encoding of the same program.
func (f *Filter) Program() ([]byte, error) {
	verdict, deflt := int32(1), int32(0)
	if f.DefaultAllow {
		verdict, deflt = 0, 1
	}
	// Labels: rule i's block starts at label i; the default verdict is
	// label len(f.Exceptions), so "next" of the last rule is the default.
	end := len(f.Exceptions)
	var a assembler
	a.ldxW(r2, r1, 0) // R2 = access_type
	a.movReg32(r3, r2)
	a.aluImm32(opAnd32Imm, r2, 0xffff) // R2 = device type
	a.aluImm32(opRsh32Imm, r3, 16)     // R3 = requested access
	a.ldxW(r4, r1, 4)                  // R4 = major
	a.ldxW(r5, r1, 8)                  // R5 = minor
	for i, r := range f.Exceptions {
		next := i + 1
		var typ int32
		switch r.Type {
		case Block:
			typ = bpfDevBlock
		case Char:
			typ = bpfDevChar
		default:
			return nil, fmt.Errorf("device rule %v: invalid type %q", r, r.Type)
		}
		if r.Major != Wildcard && (r.Major < 0 || r.Major > math.MaxUint32) ||
			r.Minor != Wildcard && (r.Minor < 0 || r.Minor > math.MaxUint32) {
			return nil, fmt.Errorf("device rule %v: major or minor out of range", r)
		}
		a.label(i)
		a.jmp32Imm(opJne32Imm, r2, typ, next)
		if r.Major != Wildcard {
			a.jmp32Imm(opJne32Imm, r4, int32(uint32(r.Major)), next)
		}
		if r.Minor != Wildcard {
			a.jmp32Imm(opJne32Imm, r5, int32(uint32(r.Minor)), next)
		}
		a.movReg32(r1, r3)
		if f.DefaultAllow {
			// A deny exception matches if it covers any requested
			// access: R1 = requested & rule; no overlap -> next.
			a.aluImm32(opAnd32Imm, r1, int32(r.Access))
			a.jmp32Imm(opJeq32Imm, r1, 0, next)
		} else {
			// An allow exception matches only if it covers every
			// requested access: R1 = requested &^ rule; any left -> next.
			a.aluImm32(opAnd32Imm, r1, int32(^r.Access&All))
			a.jmp32Imm(opJne32Imm, r1, 0, next)
		}
		a.aluImm32(opMov32Imm, r0, verdict)
		a.exit()
	}
	a.label(end)
	a.aluImm32(opMov32Imm, r0, deflt)
	a.exit()
	return a.encode()
}

// Registers.
const (
	r0 uint8 = iota
	r1
	r2
	r3
	r4
	r5
)

// Opcodes (include/uapi/linux/bpf.h, bpf_common.h): class | op | source.
const (
	opLdxMemW   = 0x61 // BPF_LDX | BPF_MEM | BPF_W
	opMov32Reg  = 0xbc // BPF_ALU | BPF_MOV | BPF_X
	opMov32Imm  = 0xb4 // BPF_ALU | BPF_MOV | BPF_K
	opAnd32Imm  = 0x54 // BPF_ALU | BPF_AND | BPF_K
	opRsh32Imm  = 0x74 // BPF_ALU | BPF_RSH | BPF_K
	opJne32Imm  = 0x56 // BPF_JMP32 | BPF_JNE | BPF_K
	opJeq32Imm  = 0x16 // BPF_JMP32 | BPF_JEQ | BPF_K
	opExit      = 0x95 // BPF_JMP | BPF_EXIT
	noJumpLabel = -1
)

// insn is one struct bpf_insn before encoding; target is the label a jump
// goes to (noJumpLabel for other instructions).
type insn struct {
	op       uint8
	dst, src uint8
	off      int16
	imm      int32
	target   int
}

// assembler collects instructions and resolves jump labels.
type assembler struct {
	insns  []insn
	labels map[int]int // label -> index of the instruction it marks
}

func (a *assembler) emit(i insn) { a.insns = append(a.insns, i) }

// label marks the next instruction emitted.
func (a *assembler) label(l int) {
	if a.labels == nil {
		a.labels = map[int]int{}
	}
	a.labels[l] = len(a.insns)
}

func (a *assembler) ldxW(dst, src uint8, off int16) {
	a.emit(insn{op: opLdxMemW, dst: dst, src: src, off: off, target: noJumpLabel})
}

func (a *assembler) movReg32(dst, src uint8) {
	a.emit(insn{op: opMov32Reg, dst: dst, src: src, target: noJumpLabel})
}

func (a *assembler) aluImm32(op, dst uint8, imm int32) {
	a.emit(insn{op: op, dst: dst, imm: imm, target: noJumpLabel})
}

func (a *assembler) jmp32Imm(op, dst uint8, imm int32, target int) {
	a.emit(insn{op: op, dst: dst, imm: imm, target: target})
}

func (a *assembler) exit() { a.emit(insn{op: opExit, target: noJumpLabel}) }

// encode resolves the jumps (the kernel's offset is relative to the next
// instruction: off = target - (pc+1)) and lays out struct bpf_insn:
// u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm, in host byte order.
// The register bit-fields follow the byte order too: dst is the low
// nibble on little-endian hosts and the high one on big-endian hosts.
func (a *assembler) encode() ([]byte, error) {
	bigEndian := binary.NativeEndian.Uint16([]byte{0, 1}) == 1
	out := make([]byte, 0, len(a.insns)*InsnSize)
	for pc, in := range a.insns {
		off := in.off
		if in.target != noJumpLabel {
			to, ok := a.labels[in.target]
			if !ok {
				return nil, fmt.Errorf("device program instruction %d: jump to undefined label %d", pc, in.target)
			}
			rel := to - (pc + 1)
			if rel < 0 || rel > math.MaxInt16 {
				return nil, fmt.Errorf("device program instruction %d: jump offset %d out of range (program too large)", pc, rel)
			}
			off = int16(rel)
		}
		regs := in.src<<4 | in.dst&0xf
		if bigEndian {
			regs = in.dst<<4 | in.src&0xf
		}
		out = append(out, in.op, regs)
		out = binary.NativeEndian.AppendUint16(out, uint16(off))
		out = binary.NativeEndian.AppendUint32(out, uint32(in.imm))
	}
	return out, nil
}
