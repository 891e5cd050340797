package devices

import (
	"fmt"

	"github.com/cilium/ebpf/asm"
)

// License is the license string the program is loaded with. It calls no
// GPL-only helper (no helper at all), so any string would do.
const License = "Apache"

// Device types in bpf_cgroup_dev_ctx.access_type (BPF_DEVCG_DEV_*).
const (
	bpfDevBlock = 1
	bpfDevChar  = 2
)

// Program assembles the filter as a BPF_PROG_TYPE_CGROUP_DEVICE program.
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
func (f *Filter) Program() (asm.Instructions, error) {
	verdict, deflt := int32(1), int32(0)
	if f.DefaultAllow {
		verdict, deflt = 0, 1
	}
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.Word), // R2 = access_type
		asm.Mov.Reg32(asm.R3, asm.R2),
		asm.And.Imm32(asm.R2, 0xffff),            // R2 = device type
		asm.RSh.Imm32(asm.R3, 16),                // R3 = requested access
		asm.LoadMem(asm.R4, asm.R1, 4, asm.Word), // R4 = major
		asm.LoadMem(asm.R5, asm.R1, 8, asm.Word), // R5 = minor
	}
	const end = "default"
	for i, r := range f.Exceptions {
		next := end
		if i+1 < len(f.Exceptions) {
			next = fmt.Sprintf("rule%d", i+1)
		}
		var typ int32
		switch r.Type {
		case Block:
			typ = bpfDevBlock
		case Char:
			typ = bpfDevChar
		default:
			return nil, fmt.Errorf("device rule %v: invalid type %q", r, r.Type)
		}
		block := asm.Instructions{asm.JNE.Imm32(asm.R2, typ, next)}
		if r.Major != Wildcard {
			block = append(block, asm.JNE.Imm32(asm.R4, int32(uint32(r.Major)), next))
		}
		if r.Minor != Wildcard {
			block = append(block, asm.JNE.Imm32(asm.R5, int32(uint32(r.Minor)), next))
		}
		block = append(block, asm.Mov.Reg32(asm.R1, asm.R3))
		if f.DefaultAllow {
			// A deny exception matches if it covers any requested
			// access: R1 = requested & rule; no overlap -> next.
			block = append(block,
				asm.And.Imm32(asm.R1, int32(r.Access)),
				asm.JEq.Imm32(asm.R1, 0, next))
		} else {
			// An allow exception matches only if it covers every
			// requested access: R1 = requested &^ rule; any left -> next.
			block = append(block,
				asm.And.Imm32(asm.R1, int32(^r.Access&All)),
				asm.JNE.Imm32(asm.R1, 0, next))
		}
		block = append(block, asm.Mov.Imm32(asm.R0, verdict), asm.Return())
		block[0] = block[0].WithSymbol(fmt.Sprintf("rule%d", i))
		insns = append(insns, block...)
	}
	insns = append(insns,
		asm.Mov.Imm32(asm.R0, deflt).WithSymbol(end),
		asm.Return())
	return insns, nil
}
