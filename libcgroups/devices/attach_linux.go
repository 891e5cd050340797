package devices

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"structs"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Apply normalizes rules, loads the device program and attaches it to the
// cgroup2 directory dir in place of the device programs attached there
// before (see Attach).
//
// Like runc (canSkipEBPFError), a failure to load or attach is only logged
// when the rules allow every device anyway, or when running in a user
// namespace, where the kernel never lets us load BPF programs and the host
// already confines the devices.
func Apply(dir string, rules []specs.LinuxDeviceCgroup, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f, err := NewFilter(rules)
	if err != nil {
		return err
	}
	err = Attach(dir, f, log)
	if err != nil && (f.AllowsAll() || inUserNS()) {
		log.Warn("cgroup v2: device program not attached (rules allow every device, or running in a user namespace)",
			slog.String("dir", dir), slog.Any("error", err))
		return nil
	}
	return err
}

// Program is a BPF program loaded in the kernel, held by a file descriptor.
// The kernel opens every BPF fd close-on-exec (anon_inode_getfd with
// O_CLOEXEC), so it does not leak into the container.
type Program struct {
	fd int
}

// FD returns the program's file descriptor (-1 once closed).
func (p *Program) FD() int { return p.fd }

// Close releases the fd. A program attached to a cgroup stays attached:
// the attachment holds its own reference.
func (p *Program) Close() error {
	if p.fd < 0 {
		return nil
	}
	err := unix.Close(p.fd)
	p.fd = -1
	if err != nil {
		return os.NewSyscallError("close bpf program", err)
	}
	return nil
}

// progName is the name the kernel shows for the program (bpftool prog,
// /proc/<pid>/fdinfo), at most BPF_OBJ_NAME_LEN-1 bytes.
const progName = "gocontainer_dev"

// Load loads the filter's program into the kernel as a
// BPF_PROG_TYPE_CGROUP_DEVICE program. If the verifier rejects it, the
// error ends with the last lines of the verifier log.
func Load(f *Filter) (*Program, error) {
	insns, err := f.Program()
	if err != nil {
		return nil, err
	}
	p, err := loadProgram(unix.BPF_PROG_TYPE_CGROUP_DEVICE, 0, progName, insns)
	if err != nil {
		return nil, fmt.Errorf("load device cgroup program: %w", err)
	}
	return p, nil
}

// Attach loads f's program and attaches it to the cgroup2 directory dir
// (BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI), so it outlives
// this process, then removes the device programs that were attached to dir
// before: the new rules replace the old ones, as a v1 devices.list rewrite
// would. With exactly one old program it is swapped atomically with
// BPF_F_REPLACE (Linux 5.6); otherwise, or if the kernel refuses the
// replace, the new program is attached first and the old ones detached
// afterwards, so there is no moment without a filter (runc does the same,
// loadAttachCgroupDeviceFilter). ALLOW_MULTI also keeps programs of our
// ancestors (systemd's) in force: every program on the path must allow.
func Attach(dir string, f *Filter, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	prog, err := Load(f)
	if err != nil {
		return err
	}
	defer prog.Close() // the attachment holds its own reference

	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("attach device program: %w", &os.PathError{Op: "open", Path: dir, Err: err})
	}
	defer unix.Close(fd)

	old, err := attached(fd)
	if err != nil {
		return fmt.Errorf("attach device program to %s: query attached programs: %w", dir, err)
	}
	defer func() {
		for _, p := range old {
			p.Close()
		}
	}()

	if len(old) == 1 {
		err := attachProgram(fd, prog, unix.BPF_F_ALLOW_MULTI|unix.BPF_F_REPLACE, old[0])
		if err == nil {
			log.Debug("cgroup v2: device program replaced", slog.String("dir", dir), slog.Any("rules", f.Exceptions), slog.Bool("default_allow", f.DefaultAllow))
			return nil
		}
		log.Debug("cgroup v2: replace of the device program refused, attaching then detaching", slog.String("dir", dir), slog.Any("error", err))
	}
	if err := attachProgram(fd, prog, unix.BPF_F_ALLOW_MULTI, nil); err != nil {
		return fmt.Errorf("attach device program to %s: %w", dir, err)
	}
	log.Debug("cgroup v2: device program attached", slog.String("dir", dir), slog.Any("rules", f.Exceptions), slog.Bool("default_allow", f.DefaultAllow))
	var errs []error
	for _, p := range old {
		err := detachProgram(fd, p)
		if err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("detach old device program from %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// attached opens the device programs attached directly to the cgroup fd.
func attached(fd int) ([]*Program, error) {
	ids, err := queryPrograms(fd, 8)
	if err != nil {
		return nil, err
	}
	var progs []*Program
	for _, id := range ids {
		p, err := programFromID(id)
		if errors.Is(err, unix.ENOENT) {
			continue // detached meanwhile
		}
		if err != nil {
			for _, p := range progs {
				p.Close()
			}
			return nil, fmt.Errorf("open program %d: %w", id, err)
		}
		progs = append(progs, p)
	}
	return progs, nil
}

// inUserNS reports whether this process runs in a user namespace other
// than the initial one, whose uid_map is the full identity range.
func inUserNS() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return !(len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295")
}

// The bpf(2) calls below are made directly rather than through
// cilium/ebpf, which would add over a millisecond to every start of the
// runtime binary (see Filter.Program). Each attr struct is the member of
// union bpf_attr (include/uapi/linux/bpf.h) for its command, up to the last
// field used; the kernel zero-fills the rest of the union when the size
// passed is smaller than its own (bpf_check_uarg_tail_zero). User
// pointers are ptr fields (bpfptr_*_linux.go).

// progLoadAttr is bpf_attr's BPF_PROG_LOAD member, up to prog_name.
type progLoadAttr struct {
	_           structs.HostLayout
	progType    uint32
	insnCnt     uint32
	insns       ptr
	license     ptr
	logLevel    uint32
	logSize     uint32
	logBuf      ptr
	kernVersion uint32
	progFlags   uint32
	progName    [unix.BPF_OBJ_NAME_LEN]byte
}

// progAttachAttr is bpf_attr's BPF_PROG_ATTACH/BPF_PROG_DETACH member, up
// to replace_bpf_fd.
type progAttachAttr struct {
	_            structs.HostLayout
	targetFD     uint32
	attachBPFFD  uint32
	attachType   uint32
	attachFlags  uint32
	replaceBPFFD uint32
}

// progQueryAttr is bpf_attr's BPF_PROG_QUERY member, up to prog_cnt and
// its padding. The kernel writes outputs past prog_cnt (query.revision)
// only when the size passed covers them (checked on Linux 6.18).
type progQueryAttr struct {
	_           structs.HostLayout
	targetFD    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     ptr
	progCnt     uint32
	_           uint32
}

// getFDByIDAttr is bpf_attr's BPF_*_GET_FD_BY_ID member.
type getFDByIDAttr struct {
	_         structs.HostLayout
	progID    uint32
	nextID    uint32
	openFlags uint32
}

// bpf calls bpf(2). attr must point to a struct of size bytes.
func bpf(cmd int, attr unsafe.Pointer, size uintptr) (int, error) {
	for {
		r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
		// A signal interrupts the verifier with EAGAIN (Linux 4.20), and
		// the Go runtime signals its threads for preemption: retry.
		if errno == unix.EAGAIN && cmd == unix.BPF_PROG_LOAD {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(r), nil
	}
}

// verifierLogSize is the log buffer of the retried load: enough for the
// whole log of a program of a few hundred instructions.
const verifierLogSize = 256 << 10

// verifierLogLines is how many lines of the verifier log go in the error:
// the last ones say which instruction was refused and why.
const verifierLogLines = 8

// loadProgram loads insns (struct bpf_insn array) as a program of the given
// type (BPF_PROG_LOAD). The first attempt runs without a verifier log, which
// costs the verifier nothing; if it is refused, the load is retried once
// with a log so the error can say why.
func loadProgram(progType, progFlags uint32, name string, insns []byte) (*Program, error) {
	if len(insns) == 0 || len(insns)%InsnSize != 0 {
		return nil, fmt.Errorf("bpf program: %d bytes is not a whole number of %d-byte instructions", len(insns), InsnSize)
	}
	if len(name) >= unix.BPF_OBJ_NAME_LEN {
		return nil, fmt.Errorf("bpf program name %q: longer than %d bytes", name, unix.BPF_OBJ_NAME_LEN-1)
	}
	license := append([]byte(License), 0)
	attr := progLoadAttr{
		progType:  progType,
		insnCnt:   uint32(len(insns) / InsnSize),
		insns:     ptr{p: unsafe.Pointer(&insns[0])},
		license:   ptr{p: unsafe.Pointer(&license[0])},
		progFlags: progFlags,
	}
	copy(attr.progName[:], name)
	fd, err := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err == nil {
		runtime.KeepAlive(insns)
		runtime.KeepAlive(license)
		return &Program{fd: fd}, nil
	}
	if !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EINVAL) {
		// Not the verifier (EPERM: no CAP_BPF; ENOMEM: memlock...).
		return nil, os.NewSyscallError("bpf BPF_PROG_LOAD", err)
	}
	logBuf := make([]byte, verifierLogSize)
	attr.logLevel = 1
	attr.logSize = uint32(len(logBuf))
	attr.logBuf = ptr{p: unsafe.Pointer(&logBuf[0])}
	fd, err2 := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(insns)
	runtime.KeepAlive(license)
	runtime.KeepAlive(logBuf)
	if err2 == nil {
		// Accepted on the retry: the first refusal was transient.
		return &Program{fd: fd}, nil
	}
	// Report the first errno: before Linux 6.4 the logged retry fails with
	// ENOSPC instead when the log does not fit (older kernels keep the
	// log's head, newer ones its tail).
	err = os.NewSyscallError("bpf BPF_PROG_LOAD", err)
	if tail := logTail(logBuf, verifierLogLines); tail != "" {
		return nil, fmt.Errorf("%w (verifier log: %s)", err, tail)
	}
	return nil, err
}

// logTail returns the last n non-empty lines of a NUL-terminated verifier
// log, joined on one line.
func logTail(buf []byte, n int) string {
	if i := bytes.IndexByte(buf, 0); i >= 0 {
		buf = buf[:i]
	}
	var lines []string
	for l := range strings.SplitSeq(string(buf), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// attachProgram attaches p to the cgroup fd as a BPF_CGROUP_DEVICE program
// (BPF_PROG_ATTACH); with BPF_F_REPLACE in flags, in place of replace.
func attachProgram(cgroupFD int, p *Program, flags uint32, replace *Program) error {
	attr := progAttachAttr{
		targetFD:    uint32(cgroupFD),
		attachBPFFD: uint32(p.fd),
		attachType:  unix.BPF_CGROUP_DEVICE,
		attachFlags: flags,
	}
	if replace != nil {
		attr.replaceBPFFD = uint32(replace.fd)
	}
	if _, err := bpf(unix.BPF_PROG_ATTACH, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
		return os.NewSyscallError("bpf BPF_PROG_ATTACH", err)
	}
	return nil
}

// detachProgram detaches p from the cgroup fd's BPF_CGROUP_DEVICE programs
// (BPF_PROG_DETACH); the fd names which one, as ALLOW_MULTI requires.
func detachProgram(cgroupFD int, p *Program) error {
	attr := progAttachAttr{
		targetFD:    uint32(cgroupFD),
		attachBPFFD: uint32(p.fd),
		attachType:  unix.BPF_CGROUP_DEVICE,
	}
	if _, err := bpf(unix.BPF_PROG_DETACH, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
		return os.NewSyscallError("bpf BPF_PROG_DETACH", err)
	}
	return nil
}

// queryPrograms returns the IDs of the BPF_CGROUP_DEVICE programs attached
// directly to the cgroup fd (BPF_PROG_QUERY without BPF_F_QUERY_EFFECTIVE),
// starting with room for n and growing when the kernel says there are more
// (ENOSPC, with the real count in prog_cnt).
func queryPrograms(cgroupFD int, n int) ([]uint32, error) {
	for {
		ids := make([]uint32, max(n, 1))
		attr := progQueryAttr{
			targetFD:   uint32(cgroupFD),
			attachType: unix.BPF_CGROUP_DEVICE,
			progIDs:    ptr{p: unsafe.Pointer(&ids[0])},
			progCnt:    uint32(len(ids)),
		}
		_, err := bpf(unix.BPF_PROG_QUERY, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		runtime.KeepAlive(ids)
		if errors.Is(err, unix.ENOSPC) && int(attr.progCnt) > len(ids) {
			n = int(attr.progCnt)
			continue
		}
		if err != nil {
			return nil, os.NewSyscallError("bpf BPF_PROG_QUERY", err)
		}
		return ids[:min(int(attr.progCnt), len(ids))], nil
	}
}

// programFromID opens the program with the given ID
// (BPF_PROG_GET_FD_BY_ID). ENOENT: no such program (any more).
func programFromID(id uint32) (*Program, error) {
	attr := getFDByIDAttr{progID: id}
	fd, err := bpf(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err != nil {
		return nil, os.NewSyscallError("bpf BPF_PROG_GET_FD_BY_ID", err)
	}
	return &Program{fd: fd}, nil
}
