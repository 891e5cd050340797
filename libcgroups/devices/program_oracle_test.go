package devices

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/cilium/ebpf/asm"
	"github.com/stretchr/testify/require"
)

// refProgram is the device program assembled with cilium/ebpf/asm, as
// Filter.Program built it before it had its own encoder. It is the
// oracle for the encoder: both must give the same bytes.
func refProgram(f *Filter) (asm.Instructions, error) {
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
			block = append(block,
				asm.And.Imm32(asm.R1, int32(r.Access)),
				asm.JEq.Imm32(asm.R1, 0, next))
		} else {
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

// refBytes is refProgram encoded by cilium/ebpf/asm, as it would hand it
// to the kernel.
func refBytes(t testing.TB, f *Filter) []byte {
	t.Helper()
	insns, err := refProgram(f)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, insns.Marshal(&buf, hostOrder))
	return buf.Bytes()
}

// requireSameAsOracle asserts that Filter.Program's bytes are cilium's.
func requireSameAsOracle(t testing.TB, f *Filter, got []byte) {
	t.Helper()
	want := refBytes(t, f)
	if !bytes.Equal(want, got) {
		wi, _ := decode(want)
		gi, _ := decode(got)
		require.Failf(t, "encoder differs from cilium/ebpf/asm", "filter %+v\ncilium:\n%v\nours:\n%v\ncilium bytes % x\nour bytes    % x", f, wi, gi, want, got)
	}
}

// hostOrder is the host's byte order as cilium/ebpf/asm wants it (it
// does not take binary.NativeEndian).
var hostOrder = func() binary.ByteOrder {
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		return binary.LittleEndian
	}
	return binary.BigEndian
}()

// decode parses raw instructions with cilium/ebpf/asm.
func decode(b []byte) (asm.Instructions, error) {
	return asm.AppendInstructions(nil, bytes.NewReader(b), hostOrder, "linux")
}

func mustDecode(t testing.TB, b []byte) asm.Instructions {
	t.Helper()
	insns, err := decode(b)
	require.NoError(t, err)
	require.Len(t, insns, len(b)/InsnSize, "one asm instruction per %d bytes", InsnSize)
	return insns
}

// TestEncoderOpcodes checks one instruction of each kind, and the jump
// offsets, against cilium/ebpf/asm's encoding and decoding.
func TestEncoderOpcodes(t *testing.T) {
	var a assembler
	a.ldxW(r2, r1, 8)
	a.movReg32(r3, r2)
	a.aluImm32(opAnd32Imm, r2, 0xffff)
	a.aluImm32(opRsh32Imm, r3, 16)
	a.label(0)
	a.jmp32Imm(opJne32Imm, r4, -1, 1)
	a.jmp32Imm(opJeq32Imm, r5, 7, 1)
	a.aluImm32(opMov32Imm, r0, 1)
	a.label(1)
	a.exit()
	b, err := a.encode()
	require.NoError(t, err)
	want := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 8, asm.Word),
		asm.Mov.Reg32(asm.R3, asm.R2),
		asm.And.Imm32(asm.R2, 0xffff),
		asm.RSh.Imm32(asm.R3, 16),
		asm.JNE.Imm32(asm.R4, -1, "l1"),
		asm.JEq.Imm32(asm.R5, 7, "l1"),
		asm.Mov.Imm32(asm.R0, 1),
		asm.Return().WithSymbol("l1"),
	}
	var buf bytes.Buffer
	require.NoError(t, want.Marshal(&buf, hostOrder))
	require.Equal(t, buf.Bytes(), b)
	got := mustDecode(t, b)
	require.Equal(t, int16(2), got[4].Offset, "JNE at 4 to the exit at 7: off = 7-(4+1)")
	require.Equal(t, int16(1), got[5].Offset, "JEQ at 5 to the exit at 7")

	a.jmp32Imm(opJne32Imm, r1, 0, 99)
	_, err = a.encode()
	require.ErrorContains(t, err, "undefined label 99")
}
