package devices

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func i64(v int64) *int64 { return &v }

func allow(t string, major, minor *int64, access string) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: true, Type: t, Major: major, Minor: minor, Access: access}
}

func deny(t string, major, minor *int64, access string) specs.LinuxDeviceCgroup {
	return specs.LinuxDeviceCgroup{Allow: false, Type: t, Major: major, Minor: minor, Access: access}
}

// access request: what the kernel asks the program.
type req struct {
	t            Type
	major, minor uint32
	acc          Access
	want         bool
}

func (r req) String() string {
	return fmt.Sprintf("%c %d:%d %s", r.t, r.major, r.minor, r.acc)
}

// ctx is a struct bpf_cgroup_dev_ctx.
func (r req) ctx() []byte {
	typ := uint32(bpfDevChar)
	if r.t == Block {
		typ = bpfDevBlock
	}
	b := make([]byte, 12)
	binary.NativeEndian.PutUint32(b[0:], typ|uint32(r.acc)<<16)
	binary.NativeEndian.PutUint32(b[4:], r.major)
	binary.NativeEndian.PutUint32(b[8:], r.minor)
	return b
}

var dockerDefault = []specs.LinuxDeviceCgroup{
	deny("", nil, nil, "rwm"),
	allow("c", nil, nil, "m"),
	allow("b", nil, nil, "m"),
	allow("c", i64(1), i64(3), "rwm"),
	allow("c", i64(136), nil, "rwm"),
}

// ruleTable covers every rule shape: types a/b/c, wildcard major and
// minor (nil and -1), partial access, ordering and the default deny.
var ruleTable = []struct {
	name  string
	rules []specs.LinuxDeviceCgroup
	reqs  []req
}{
	{"no rules: default deny", nil, []req{
		{Char, 1, 3, Read, false}, {Block, 8, 0, Mknod, false},
	}},
	{"type a allow: allow all", []specs.LinuxDeviceCgroup{allow("a", nil, nil, "rwm")}, []req{
		{Char, 1, 3, Read | Write, true}, {Block, 8, 0, Mknod, true}, {Char, 4294967295, 4294967295, All, true},
	}},
	{"empty type is a; a ignores major/minor/access", []specs.LinuxDeviceCgroup{allow("", i64(5), i64(5), "r")}, []req{
		{Char, 1, 3, Write, true}, {Block, 7, 7, All, true},
	}},
	{"a deny after a allow: deny all again", []specs.LinuxDeviceCgroup{allow("a", nil, nil, "rwm"), deny("a", nil, nil, "rwm")}, []req{
		{Char, 1, 3, Read, false},
	}},
	{"type c exact", []specs.LinuxDeviceCgroup{allow("c", i64(1), i64(3), "rwm")}, []req{
		{Char, 1, 3, Read | Write, true}, {Char, 1, 3, Mknod, true},
		{Block, 1, 3, Read, false}, {Char, 1, 5, Read, false}, {Char, 2, 3, Read, false},
	}},
	{"type b exact", []specs.LinuxDeviceCgroup{allow("b", i64(8), i64(0), "rw")}, []req{
		{Block, 8, 0, Read, true}, {Block, 8, 0, Read | Write, true}, {Block, 8, 0, Mknod, false},
		{Char, 8, 0, Read, false}, {Block, 8, 1, Read, false},
	}},
	{"wildcard minor (nil)", []specs.LinuxDeviceCgroup{allow("c", i64(136), nil, "rw")}, []req{
		{Char, 136, 0, Read, true}, {Char, 136, 99999, Write, true}, {Char, 137, 0, Read, false},
	}},
	{"wildcard major (-1)", []specs.LinuxDeviceCgroup{allow("c", i64(-1), i64(3), "r")}, []req{
		{Char, 1, 3, Read, true}, {Char, 77, 3, Read, true}, {Char, 77, 4, Read, false}, {Block, 77, 3, Read, false},
	}},
	{"wildcard both: mknod anything", []specs.LinuxDeviceCgroup{allow("c", nil, nil, "m"), allow("b", i64(-1), i64(-1), "m")}, []req{
		{Char, 10, 200, Mknod, true}, {Block, 259, 1, Mknod, true}, {Char, 10, 200, Read, false},
	}},
	{"partial access: one exception must cover the whole request", []specs.LinuxDeviceCgroup{allow("c", i64(1), i64(3), "r")}, []req{
		{Char, 1, 3, Read, true}, {Char, 1, 3, Write, false}, {Char, 1, 3, Read | Write, false},
	}},
	{"partial access merges on the same device", []specs.LinuxDeviceCgroup{allow("c", i64(1), i64(3), "r"), allow("c", i64(1), i64(3), "w")}, []req{
		{Char, 1, 3, Read | Write, true}, {Char, 1, 3, Mknod, false},
	}},
	{"ordering: deny after allow wins", []specs.LinuxDeviceCgroup{allow("c", i64(1), i64(3), "rwm"), deny("c", i64(1), i64(3), "w")}, []req{
		{Char, 1, 3, Read, true}, {Char, 1, 3, Write, false}, {Char, 1, 3, Read | Write, false}, {Char, 1, 3, Mknod, true},
	}},
	{"ordering: allow after deny wins", []specs.LinuxDeviceCgroup{deny("c", i64(1), i64(3), "rwm"), allow("c", i64(1), i64(3), "rw")}, []req{
		{Char, 1, 3, Read | Write, true}, {Char, 1, 3, Mknod, false},
	}},
	{"ordering: a later a-rule drops earlier exceptions", []specs.LinuxDeviceCgroup{allow("c", i64(1), i64(3), "rwm"), deny("a", nil, nil, "")}, []req{
		{Char, 1, 3, Read, false},
	}},
	{"default allow with deny exceptions (partial overlap denies)", []specs.LinuxDeviceCgroup{allow("a", nil, nil, "rwm"), deny("b", i64(8), nil, "w")}, []req{
		{Block, 8, 1, Read, true}, {Block, 8, 1, Write, false}, {Block, 8, 1, Read | Write, false},
		{Char, 8, 1, Write, true}, {Block, 9, 1, Write, true},
	}},
	{"docker default", dockerDefault, []req{
		{Char, 1, 3, Read | Write, true}, {Char, 136, 4, Read | Write, true}, {Char, 10, 229, Mknod, true},
		{Char, 10, 229, Read, false}, {Block, 8, 0, Read, false}, {Block, 8, 0, Mknod, true}, {Char, 1, 5, Read, false},
	}},
}

// runInterp executes raw instructions (decoded by cilium/ebpf/asm) the way
// the kernel does, for the instructions Program emits. It lets the rule
// table run without root.
func runInterp(t *testing.T, insns asm.Instructions, ctx []byte) uint32 {
	t.Helper()
	var reg [11]uint64
	for pc, steps := 0, 0; steps < 10000; steps++ {
		require.Less(t, pc, len(insns), "fell off the program")
		require.GreaterOrEqual(t, pc, 0, "jumped before the program")
		ins := insns[pc]
		pc++
		op := ins.OpCode
		switch {
		case op.Class() == asm.LdXClass:
			require.Equal(t, asm.Word, op.Size(), "interpreter: only word loads: %v", ins)
			off := int(ins.Offset)
			reg[ins.Dst] = uint64(binary.NativeEndian.Uint32(ctx[off : off+4]))
		case op.Class() == asm.ALUClass:
			src := uint32(ins.Constant)
			if op.Source() == asm.RegSource {
				src = uint32(reg[ins.Src])
			}
			d := uint32(reg[ins.Dst])
			switch op.ALUOp() {
			case asm.Mov:
				d = src
			case asm.And:
				d &= src
			case asm.RSh:
				d >>= src
			default:
				t.Fatalf("interpreter: unexpected ALU op %v", ins)
			}
			reg[ins.Dst] = uint64(d) // 32-bit ALU zero-extends
		case op.JumpOp() == asm.Exit:
			return uint32(reg[asm.R0])
		case op.Class() == asm.Jump32Class:
			d, c := uint32(reg[ins.Dst]), uint32(ins.Constant)
			var taken bool
			switch op.JumpOp() {
			case asm.JNE:
				taken = d != c
			case asm.JEq:
				taken = d == c
			default:
				t.Fatalf("interpreter: unexpected jump %v", ins)
			}
			if taken {
				pc += int(ins.Offset) // relative to the next instruction
			}
		default:
			t.Fatalf("interpreter: unexpected instruction %v", ins)
		}
	}
	t.Fatal("interpreter: no exit")
	return 0
}

// kernelRunner loads insns so the kernel can run them with BPF_PROG_TEST_RUN.
// The kernel has no test_run for BPF_PROG_TYPE_CGROUP_DEVICE, so the very
// same instructions are loaded as a sleepable BPF_PROG_TYPE_SYSCALL program
// (Linux 5.14), whose context is caller memory of any layout: the crafted
// bpf_cgroup_dev_ctx. The verifier still checks every instruction.
func kernelRunner(t *testing.T, insns asm.Instructions) func(ctx []byte) uint32 {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Log("not root: running the rule table in the Go interpreter only")
		return nil
	}
	spec := &ebpf.ProgramSpec{Type: ebpf.Syscall, Flags: unix.BPF_F_SLEEPABLE, Instructions: insns, License: License}
	p, err := ebpf.NewProgram(spec)
	if errors.Is(err, unix.EPERM) || errors.Is(err, ebpf.ErrNotSupported) {
		t.Logf("kernel refuses to load test program (%v): Go interpreter only", err)
		return nil
	}
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return func(ctx []byte) uint32 {
		ret, err := p.Run(&ebpf.RunOptions{Context: ctx})
		require.NoError(t, err)
		return ret
	}
}

func TestProgramAgainstRuleTable(t *testing.T) {
	for _, tc := range ruleTable {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFilter(tc.rules)
			require.NoError(t, err)
			prog, err := f.Program()
			require.NoError(t, err)
			requireSameAsOracle(t, f, prog)
			insns := mustDecode(t, prog)
			kernel := kernelRunner(t, insns)
			for _, r := range tc.reqs {
				want := uint32(0)
				if r.want {
					want = 1
				}
				require.Equal(t, r.want, f.Allows(r.t, r.major, r.minor, r.acc), "Filter.Allows %v", r)
				require.Equal(t, want, runInterp(t, insns, r.ctx()), "interpreted program %v\n%v", r, insns)
				if kernel != nil {
					require.Equal(t, want, kernel(r.ctx()), "kernel-run program %v\n%v", r, insns)
				}
			}
		})
	}
}

func TestProgramLoadsAsCgroupDevice(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_BPF) to load a BPF program")
	}
	f, err := NewFilter(dockerDefault)
	require.NoError(t, err)
	p, err := Load(f)
	if errors.Is(err, unix.EPERM) {
		t.Skipf("BPF not permitted here: %v", err)
	}
	require.NoError(t, err, "the verifier must accept the program as BPF_PROG_TYPE_CGROUP_DEVICE")
	requireCloexec(t, p.FD())

	// Ask the kernel, through cilium/ebpf, what it loaded.
	dup, err := unix.FcntlInt(uintptr(p.FD()), unix.F_DUPFD_CLOEXEC, 0)
	require.NoError(t, err)
	cp, err := ebpf.NewProgramFromFD(dup)
	require.NoError(t, err)
	defer cp.Close()
	info, err := cp.Info()
	require.NoError(t, err)
	require.Equal(t, ebpf.CGroupDevice, info.Type)
	require.Equal(t, progName, info.Name)
	ref := mustDecode(t, refBytes(t, f)) // jumps resolved, as loaded
	same, err := ref.HasTag(info.Tag, hostOrder)
	require.NoError(t, err)
	require.True(t, same, "the kernel's tag of the loaded program is the tag of cilium's instructions")

	require.NoError(t, p.Close())
	require.Equal(t, -1, p.FD())
	require.NoError(t, p.Close(), "closing twice is harmless")
}

func requireCloexec(t *testing.T, fd int) {
	t.Helper()
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.NoError(t, err)
	require.NotZero(t, flags&unix.FD_CLOEXEC, "fd %d must be close-on-exec", fd)
}

// A program the verifier refuses (R0 is never set) gives an error with
// the errno and the verifier's reason from the retried, logged load.
func TestLoadRefusedShowsVerifierLog(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_BPF) to load a BPF program")
	}
	var a assembler
	a.exit()
	insns, err := a.encode()
	require.NoError(t, err)
	_, err = loadProgram(unix.BPF_PROG_TYPE_CGROUP_DEVICE, 0, "bad", insns)
	if errors.Is(err, unix.EPERM) {
		t.Skipf("BPF not permitted here: %v", err)
	}
	require.ErrorIs(t, err, unix.EACCES)
	require.ErrorContains(t, err, "bpf BPF_PROG_LOAD: permission denied (verifier log: ")
	require.ErrorContains(t, err, "R0 !read_ok")
	require.NotContains(t, err.Error(), "\n", "one line")

	_, err = loadProgram(unix.BPF_PROG_TYPE_CGROUP_DEVICE, 0, "bad", insns[:5])
	require.ErrorContains(t, err, "5 bytes is not a whole number of 8-byte instructions")
	_, err = loadProgram(unix.BPF_PROG_TYPE_CGROUP_DEVICE, 0, "a_name_of_16_byt", insns)
	require.ErrorContains(t, err, "longer than 15 bytes")
}

func TestLogTail(t *testing.T) {
	log := []byte("0: R1=ctx()\n\n1: (95) exit\nR0 !read_ok\nprocessed 1 insns\n\x00garbage after NUL")
	require.Equal(t, "1: (95) exit | R0 !read_ok | processed 1 insns", logTail(log, 3))
	require.Equal(t, "0: R1=ctx() | 1: (95) exit | R0 !read_ok | processed 1 insns", logTail(log, 10))
	require.Empty(t, logTail(make([]byte, 16), 3))
}

func TestNewFilterErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []specs.LinuxDeviceCgroup
		want  string
	}{
		{"bad type", []specs.LinuxDeviceCgroup{allow("p", nil, nil, "rwm")}, `linux.resources.devices[0].type: invalid device cgroup type "p"`},
		{"bad access", []specs.LinuxDeviceCgroup{deny("a", nil, nil, ""), allow("c", i64(1), i64(3), "rwx")}, `linux.resources.devices[1].access: invalid access "rwx"`},
		{"bad major", []specs.LinuxDeviceCgroup{allow("c", i64(-2), nil, "r")}, `linux.resources.devices[0].major: -2 out of range`},
		{"bad minor", []specs.LinuxDeviceCgroup{allow("c", nil, i64(1<<33), "r")}, `linux.resources.devices[0].minor: 8589934592 out of range`},
		{"hole in wildcard allow", []specs.LinuxDeviceCgroup{allow("c", i64(1), nil, "rwm"), deny("c", i64(1), i64(3), "w")},
			`linux.resources.devices[1]: rule "c 1:3 w" cannot punch a hole in the earlier wildcard rule "c 1:* rwm"`},
		{"hole in wildcard deny", []specs.LinuxDeviceCgroup{allow("a", nil, nil, ""), deny("b", nil, nil, "r"), allow("b", i64(8), i64(0), "r")},
			`linux.resources.devices[2]: rule "b 8:0 r" cannot punch a hole in the earlier wildcard rule "b *:* r"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewFilter(tc.rules)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestNewFilterNormalizes(t *testing.T) {
	f, err := NewFilter(append(dockerDefault, allow("c", i64(1), i64(3), "r"), deny("c", i64(136), nil, "w")))
	require.NoError(t, err)
	require.False(t, f.DefaultAllow)
	var got []string
	for _, r := range f.Exceptions {
		got = append(got, r.String())
	}
	require.Equal(t, []string{"b *:* m", "c *:* m", "c 1:3 rwm", "c 136:* rm"}, got)
}

// FuzzProgramMatchesFilter: for any rule list the filter accepts, the
// assembled program decides every request as Filter.Allows does.
func FuzzProgramMatchesFilter(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{255, 3, 1, 3, 7, 2, 1, 0xff, 7, 1})
	// deny a; allow c 1:3 rw; allow b *:* m
	f.Add([]byte{0, 0, 0, 7, 5, 3, 4, 6, 3, 0, 1, 1})
	// allow a; deny c 136:* w
	f.Add([]byte{1, 0, 0, 7, 4, 5, 0, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		types := []string{"a", "b", "c", ""}
		nums := []*int64{nil, i64(-1), i64(0), i64(1), i64(3), i64(136)}
		var rules []specs.LinuxDeviceCgroup
		for len(data) >= 4 && len(rules) < 12 {
			b := data[:4]
			data = data[4:]
			rules = append(rules, specs.LinuxDeviceCgroup{
				Allow:  b[0]&1 == 1,
				Type:   types[int(b[0]>>1)%len(types)],
				Major:  nums[int(b[1])%len(nums)],
				Minor:  nums[int(b[2])%len(nums)],
				Access: Access(b[3] & 7).String(),
			})
		}
		flt, err := NewFilter(rules)
		if err != nil {
			return // holes in wildcards are refused; nothing to run
		}
		prog, err := flt.Program()
		require.NoError(t, err)
		requireSameAsOracle(t, flt, prog)
		insns := mustDecode(t, prog)
		for _, typ := range []Type{Block, Char} {
			for _, major := range []uint32{0, 1, 3, 136, 1 << 31} {
				for _, minor := range []uint32{0, 1, 3, 136} {
					for acc := Access(1); acc <= All; acc++ {
						r := req{t: typ, major: major, minor: minor, acc: acc}
						want := uint32(0)
						if flt.Allows(typ, major, minor, acc) {
							want = 1
						}
						require.Equal(t, want, runInterp(t, insns, r.ctx()), "%v with rules %+v", r, rules)
					}
				}
			}
		}
	})
}
