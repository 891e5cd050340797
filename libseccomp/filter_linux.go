package libseccomp

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	seccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Filter is a libseccomp filter built from an OCI profile. It is not loaded
// until Load is called; Release frees the C context either way.
type Filter struct {
	filter *seccomp.ScmpFilter
	log    *slog.Logger
	// rules and skipped count the (syscall, condition set) rules added and
	// the syscall names left out, for the debug summary.
	rules, skipped int
	// notify is set when a rule uses SCMP_ACT_NOTIFY: loading then yields
	// a listener fd (NotifyFd) that the runtime hands to the agent.
	notify bool
}

// Actions maps every OCI action name to its libseccomp action. SCMP_ACT_KILL
// is the historical name for "kill the thread" (seccomp(2) SECCOMP_RET_KILL).
var actions = map[specs.LinuxSeccompAction]seccomp.ScmpAction{
	specs.ActKill:        seccomp.ActKillThread,
	specs.ActKillThread:  seccomp.ActKillThread,
	specs.ActKillProcess: seccomp.ActKillProcess,
	specs.ActTrap:        seccomp.ActTrap,
	specs.ActErrno:       seccomp.ActErrno,
	specs.ActTrace:       seccomp.ActTrace,
	specs.ActAllow:       seccomp.ActAllow,
	specs.ActLog:         seccomp.ActLog,
	specs.ActNotify:      seccomp.ActNotify,
}

var operators = map[specs.LinuxSeccompOperator]seccomp.ScmpCompareOp{
	specs.OpNotEqual:     seccomp.CompareNotEqual,
	specs.OpLessThan:     seccomp.CompareLess,
	specs.OpLessEqual:    seccomp.CompareLessOrEqual,
	specs.OpEqualTo:      seccomp.CompareEqual,
	specs.OpGreaterEqual: seccomp.CompareGreaterEqual,
	specs.OpGreaterThan:  seccomp.CompareGreater,
	specs.OpMaskedEqual:  seccomp.CompareMaskedEqual,
}

// archs is an explicit table rather than seccomp.GetArchFromString on the
// suffix, which would also accept non-OCI aliases such as SCMP_ARCH_AMD64.
var archs = map[specs.Arch]seccomp.ScmpArch{
	specs.ArchX86:         seccomp.ArchX86,
	specs.ArchX86_64:      seccomp.ArchAMD64,
	specs.ArchX32:         seccomp.ArchX32,
	specs.ArchARM:         seccomp.ArchARM,
	specs.ArchAARCH64:     seccomp.ArchARM64,
	specs.ArchMIPS:        seccomp.ArchMIPS,
	specs.ArchMIPS64:      seccomp.ArchMIPS64,
	specs.ArchMIPS64N32:   seccomp.ArchMIPS64N32,
	specs.ArchMIPSEL:      seccomp.ArchMIPSEL,
	specs.ArchMIPSEL64:    seccomp.ArchMIPSEL64,
	specs.ArchMIPSEL64N32: seccomp.ArchMIPSEL64N32,
	specs.ArchPPC:         seccomp.ArchPPC,
	specs.ArchPPC64:       seccomp.ArchPPC64,
	specs.ArchPPC64LE:     seccomp.ArchPPC64LE,
	specs.ArchS390:        seccomp.ArchS390,
	specs.ArchS390X:       seccomp.ArchS390X,
	specs.ArchPARISC:      seccomp.ArchPARISC,
	specs.ArchPARISC64:    seccomp.ArchPARISC64,
	specs.ArchRISCV64:     seccomp.ArchRISCV64,
	specs.ArchLOONGARCH64: seccomp.ArchLOONGARCH64,
	specs.ArchM68K:        seccomp.ArchM68K,
	specs.ArchSH:          seccomp.ArchSH,
	specs.ArchSHEB:        seccomp.ArchSHEB,
}

// The flag names of seccomp(2), as the runtime-spec spells them.
const (
	flagLog              specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_LOG"
	flagSpecAllow        specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_SPEC_ALLOW"
	flagTsync            specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"
	flagWaitKillableRecv specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"
)

var knownFlags = []specs.LinuxSeccompFlag{flagLog, flagSpecAllow, flagTsync, flagWaitKillableRecv}

// optimizeAbove is the rule count above which libseccomp is asked for a
// binary-tree filter (SCMP_FLTATR_CTL_OPTIMIZE=2) rather than a linear chain
// of syscall tests: Docker's default profile names ~400 syscalls, and with a
// linear chain every syscall near the end pays for hundreds of compares.
// runc uses the same cut-off.
const optimizeAbove = 400

// maxRetData is SECCOMP_RET_DATA: the errno (or tracer message) travels in
// the low 16 bits of the filter's return value (seccomp(2)).
const maxRetData = 0xffff

// KnownActions lists the OCI action names NewFilter understands (for the
// features command).
func KnownActions() []string { return sortedKeys(actions) }

// KnownOperators lists the OCI argument operators NewFilter understands.
func KnownOperators() []string { return sortedKeys(operators) }

// KnownArchs lists the OCI architecture names NewFilter understands. The
// linked libseccomp may still refuse some of them (2.5.x lacks loongarch64,
// m68k and sh); NewFilter reports that as an error naming the entry.
func KnownArchs() []string { return sortedKeys(archs) }

// KnownFlags lists the OCI seccomp flags NewFilter accepts.
func KnownFlags() []string {
	return flagStrings(knownFlags)
}

// NewFilter translates an OCI profile into a libseccomp filter, not yet
// loaded. It follows runc's semantics: errno actions without errnoRet return
// EPERM, rules whose action equals the default are skipped (libseccomp
// refuses them), syscall names the library does not know are skipped with a
// warning (profiles list syscalls newer than the library), and several
// conditions on the same argument index become separate rules. A nil log is
// allowed.
func NewFilter(s *specs.LinuxSeccomp, log *slog.Logger) (*Filter, error) {
	if s == nil {
		return nil, errors.New("linux.seccomp: no profile")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	notify, err := checkNotify(s)
	if err != nil {
		return nil, err
	}
	defAct, err := toAction(s.DefaultAction, s.DefaultErrnoRet, "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet", log)
	if err != nil {
		return nil, err
	}
	sf, err := seccomp.NewFilter(defAct)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp: create filter with default action %s: %w", s.DefaultAction, err)
	}
	f := &Filter{filter: sf, log: log, notify: notify}
	if err := f.build(s, defAct); err != nil {
		f.Release()
		return nil, err
	}
	return f, nil
}

// Load installs the filter. libseccomp-golang always asks for TSYNC, so every
// thread of the (multi-threaded) Go process gets the filter, not only the
// caller's; this is runc's behaviour too. Load does not set no_new_privs:
// without it the caller needs CAP_SYS_ADMIN (seccomp(2)).
func (f *Filter) Load() error {
	if f == nil || f.filter == nil {
		return errors.New("load seccomp filter: filter released")
	}
	if err := f.filter.Load(); err != nil {
		return fmt.Errorf("load seccomp filter: %w", err)
	}
	f.log.Debug("seccomp filter loaded")
	return nil
}

// UsesNotify reports whether a rule uses SCMP_ACT_NOTIFY, so that Load
// creates a listener fd to be fetched with NotifyFd.
func (f *Filter) UsesNotify() bool { return f != nil && f.notify }

// NotifyFd returns the listener fd the kernel created when the filter was
// loaded (close-on-exec, owned by the caller). It fails before Load and for
// a filter without SCMP_ACT_NOTIFY rules.
func (f *Filter) NotifyFd() (int, error) {
	if f == nil || f.filter == nil {
		return -1, errors.New("seccomp listener fd: filter released")
	}
	if !f.notify {
		return -1, errors.New("seccomp listener fd: no SCMP_ACT_NOTIFY rule in the profile")
	}
	fd, err := f.filter.GetNotifFd()
	if err != nil {
		return -1, fmt.Errorf("seccomp listener fd: %w", err)
	}
	if fd < 0 {
		return -1, fmt.Errorf("seccomp listener fd: libseccomp returned %d (filter not loaded?)", fd)
	}
	return int(fd), nil
}

// Release frees the libseccomp context. A loaded filter stays in the kernel.
// Calling it twice is harmless.
func (f *Filter) Release() {
	if f == nil || f.filter == nil {
		return
	}
	f.filter.Release()
	f.filter = nil
}

// ExportPFC writes the filter as libseccomp's human-readable pseudo filter
// code, for --debug output and tests.
func (f *Filter) ExportPFC(w io.Writer) error {
	if f == nil || f.filter == nil {
		return errors.New("export seccomp filter: filter released")
	}
	// libseccomp writes to a file descriptor; a memfd avoids any path.
	fd, err := unix.MemfdCreate("seccomp-pfc", unix.MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("export seccomp filter: memfd_create: %w", err)
	}
	file := os.NewFile(uintptr(fd), "seccomp-pfc")
	defer file.Close()
	if err := f.filter.ExportPFC(file); err != nil {
		return fmt.Errorf("export seccomp filter: %w", err)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("export seccomp filter: seek memfd: %w", err)
	}
	if _, err := io.Copy(w, file); err != nil {
		return fmt.Errorf("export seccomp filter: copy: %w", err)
	}
	return nil
}

func (f *Filter) build(s *specs.LinuxSeccomp, defAct seccomp.ScmpAction) error {
	// The caller (container init) decides no_new_privs; libseccomp would set
	// it on load by default.
	if err := f.filter.SetNoNewPrivsBit(false); err != nil {
		return fmt.Errorf("linux.seccomp: clear no_new_privs attribute: %w", err)
	}
	// The native arch is in a new libseccomp context already; AddArch is a
	// no-op for an arch that is present.
	for i, a := range s.Architectures {
		arch, ok := archs[a]
		if !ok {
			return fmt.Errorf("linux.seccomp.architectures[%d]: unknown architecture %q", i, a)
		}
		if err := f.filter.AddArch(arch); err != nil {
			return fmt.Errorf("linux.seccomp.architectures[%d]: %s not supported by libseccomp %s: %w", i, a, Version(), err)
		}
	}
	if err := f.setFlags(s.Flags); err != nil {
		return err
	}
	names := 0
	for _, sc := range s.Syscalls {
		names += len(sc.Names)
	}
	if names > optimizeAbove {
		// Only a speed-up: a libseccomp or API level without it still
		// builds a correct (linear) filter.
		if err := f.filter.SetOptimize(2); err != nil {
			f.log.Debug("seccomp binary-tree optimization unavailable", slog.Any("error", err))
		}
	}
	for i := range s.Syscalls {
		if err := f.addSyscall(i, &s.Syscalls[i], defAct); err != nil {
			return err
		}
	}
	if err := f.enosysNewerSyscalls(s, defAct); err != nil {
		return err
	}
	f.log.Debug("seccomp filter built",
		slog.String("defaultAction", string(s.DefaultAction)),
		slog.Int("architectures", len(s.Architectures)),
		slog.Any("flags", flagStrings(s.Flags)),
		slog.Int("rules", f.rules),
		slog.Int("skippedSyscalls", f.skipped),
		slog.String("libseccomp", Version()))
	return nil
}

// maxSyscallNr bounds the search for syscalls newer than a profile: the
// native syscall numbers libseccomp may know (x86_64 is in the 400s).
const maxSyscallNr = 1024

// enosysNewerSyscalls makes every syscall newer than the profile fail with
// ENOSYS instead of the profile's default action, as runc's seccomp stub
// does: a profile written before a syscall existed cannot have meant to
// forbid it, and C libraries only fall back to the older call on ENOSYS.
// glibc's pthread_create tries clone3 first and its new threads register
// rseq; under an old profile whose default is EPERM both fail, and a Go
// process (the container init between loading the filter and exec) that
// starts an OS thread then dies with "Fatal glibc error: rseq registration
// failed". "Newer" means a native syscall number above the highest one the
// profile names, that the profile does not name itself. Profiles whose
// default allows, and empty profiles, are left alone. Syscalls newer than
// libseccomp (which cannot name them) keep the default action.
func (f *Filter) enosysNewerSyscalls(s *specs.LinuxSeccomp, defAct seccomp.ScmpAction) error {
	switch defAct & 0xffff {
	case seccomp.ActAllow, seccomp.ActLog:
		return nil
	}
	enosys := seccomp.ActErrno.SetReturnCode(int16(unix.ENOSYS))
	if defAct == enosys {
		return nil
	}
	native, err := seccomp.GetNativeArch()
	if err != nil {
		return fmt.Errorf("linux.seccomp: native architecture: %w", err)
	}
	named := map[seccomp.ScmpSyscall]bool{}
	highest := seccomp.ScmpSyscall(-1)
	for _, sc := range s.Syscalls {
		for _, name := range sc.Names {
			call, err := seccomp.GetSyscallFromNameByArch(name, native)
			if err != nil {
				continue
			}
			named[call] = true
			highest = max(highest, call)
		}
	}
	if highest < 0 {
		return nil
	}
	added := 0
	for nr := highest + 1; nr < maxSyscallNr; nr++ {
		if named[nr] {
			continue
		}
		if _, err := nr.GetNameByArch(native); err != nil {
			continue // a number libseccomp does not know on this arch
		}
		if err := f.filter.AddRule(nr, enosys); err != nil {
			return fmt.Errorf("linux.seccomp: ENOSYS rule for syscall %d (newer than the profile): %w", nr, err)
		}
		added++
	}
	f.log.Debug("seccomp: syscalls newer than the profile return ENOSYS",
		slog.Int("newestInProfile", int(highest)), slog.Int("syscalls", added))
	return nil
}

func flagStrings(flags []specs.LinuxSeccompFlag) []string {
	out := make([]string, len(flags))
	for i, fl := range flags {
		out[i] = string(fl)
	}
	return out
}

func (f *Filter) setFlags(flags []specs.LinuxSeccompFlag) error {
	for i, fl := range flags {
		field := fmt.Sprintf("linux.seccomp.flags[%d]", i)
		switch fl {
		case flagLog:
			if err := f.filter.SetLogBit(true); err != nil {
				return fmt.Errorf("%s: %s: %w", field, fl, err)
			}
		case flagSpecAllow:
			if err := f.filter.SetSSB(true); err != nil {
				return fmt.Errorf("%s: %s: %w", field, fl, err)
			}
		case flagTsync:
			// Already set: libseccomp-golang enables TSYNC in every new filter.
			f.log.Debug("seccomp flag already in effect", slog.String("flag", string(fl)))
		case flagWaitKillableRecv:
			// The flag only changes how a notify listener waits (the
			// kernel refuses it without SECCOMP_FILTER_FLAG_NEW_LISTENER),
			// and libseccomp sets it only from 2.6 on (SetWaitKill, API 7).
			// Where it can be honoured it is; otherwise the listener
			// simply waits interruptibly, the pre-6.0 kernel behaviour.
			if !f.notify {
				f.log.Warn("seccomp flag ignored: it only applies to SCMP_ACT_NOTIFY, which the profile does not use",
					slog.String("flag", string(fl)))
				continue
			}
			if err := f.filter.SetWaitKill(true); err != nil {
				f.log.Warn("seccomp flag ignored: not supported by this libseccomp",
					slog.String("flag", string(fl)), slog.String("libseccomp", Version()), slog.Any("error", err))
			}
		default:
			return fmt.Errorf("%s: unknown flag %q", field, fl)
		}
	}
	return nil
}

func (f *Filter) addSyscall(i int, sc *specs.LinuxSyscall, defAct seccomp.ScmpAction) error {
	field := fmt.Sprintf("linux.seccomp.syscalls[%d]", i)
	if len(sc.Names) == 0 {
		return fmt.Errorf("%s.names: empty", field)
	}
	act, err := toAction(sc.Action, sc.ErrnoRet, field+".action", field+".errnoRet", f.log)
	if err != nil {
		return err
	}
	conds, split, err := toConditions(field, sc.Args)
	if err != nil {
		return err
	}
	if act == defAct {
		// libseccomp refuses a rule equal to the default (EACCES), and it
		// would change nothing.
		f.log.Debug("seccomp rule skipped: same action as the default",
			slog.Any("names", sc.Names), slog.String("action", string(sc.Action)))
		return nil
	}
	for j, name := range sc.Names {
		if name == "" {
			return fmt.Errorf("%s.names[%d]: empty", field, j)
		}
		call, err := seccomp.GetSyscallFromName(name)
		if err != nil {
			f.log.Warn("seccomp: syscall unknown to libseccomp, rule skipped",
				slog.String("syscall", name), slog.String("libseccomp", Version()))
			f.skipped++
			continue
		}
		switch {
		case len(conds) == 0:
			err = f.filter.AddRule(call, act)
			f.rules++
		case split:
			// libseccomp cannot AND two conditions on one argument: each
			// becomes its own rule (OR), as runc does.
			for _, c := range conds {
				if err = f.filter.AddRuleConditional(call, act, []seccomp.ScmpCondition{c}); err != nil {
					break
				}
				f.rules++
			}
		default:
			err = f.filter.AddRuleConditional(call, act, conds)
			f.rules++
		}
		if err != nil {
			return fmt.Errorf("%s: add rule for %s: %w", field, name, err)
		}
	}
	return nil
}

func toConditions(field string, args []specs.LinuxSeccompArg) ([]seccomp.ScmpCondition, bool, error) {
	var conds []seccomp.ScmpCondition
	seen := map[uint]bool{}
	split := false
	for k, a := range args {
		af := fmt.Sprintf("%s.args[%d]", field, k)
		op, ok := operators[a.Op]
		if !ok {
			return nil, false, fmt.Errorf("%s.op: unknown operator %q", af, a.Op)
		}
		// Syscalls have at most six arguments (seccomp_data.args[6]).
		if a.Index > 5 {
			return nil, false, fmt.Errorf("%s.index: %d out of range 0-5", af, a.Index)
		}
		var (
			c   seccomp.ScmpCondition
			err error
		)
		if op == seccomp.CompareMaskedEqual {
			// valueTwo is compared against (arg & value), in libseccomp's
			// order: mask first, datum second.
			c, err = seccomp.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
		} else {
			c, err = seccomp.MakeCondition(a.Index, op, a.Value)
		}
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", af, err)
		}
		if seen[a.Index] {
			split = true
		}
		seen[a.Index] = true
		conds = append(conds, c)
	}
	return conds, split, nil
}

func toAction(name specs.LinuxSeccompAction, errnoRet *uint, field, errnoField string, log *slog.Logger) (seccomp.ScmpAction, error) {
	act, ok := actions[name]
	if !ok {
		return seccomp.ActInvalid, fmt.Errorf("%s: unknown action %q", field, name)
	}
	switch act {
	case seccomp.ActErrno, seccomp.ActTrace:
		code := uint(unix.EPERM)
		if errnoRet != nil {
			code = *errnoRet
		}
		if code > maxRetData {
			return seccomp.ActInvalid, fmt.Errorf("%s: %d does not fit in 16 bits", errnoField, code)
		}
		return act.SetReturnCode(int16(uint16(code))), nil
	default:
		if errnoRet != nil {
			// runc ignores it too; refusing would break profiles runc runs.
			log.Warn("seccomp errnoRet ignored: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE use it",
				slog.String("field", errnoField), slog.String("action", string(name)))
		}
		return act, nil
	}
}

// checkNotify validates the use of SCMP_ACT_NOTIFY and reports whether
// the profile uses it. NOTIFY cannot be the default action: every syscall
// of the init after loading, including the write that hands the listener fd
// to the runtime, would wait for an agent that does not have the fd yet.
// For the same reason it may not apply to write (runc's rule). A listener
// path is required with NOTIFY (else the trapped syscalls would block
// forever), and listenerMetadata without a path is refused (the spec says
// it MUST NOT be set). A listenerPath without NOTIFY rules is ignored, as
// the spec says.
func checkNotify(s *specs.LinuxSeccomp) (bool, error) {
	if s.ListenerMetadata != "" && s.ListenerPath == "" {
		return false, errors.New("linux.seccomp.listenerMetadata: set without linux.seccomp.listenerPath")
	}
	if s.DefaultAction == specs.ActNotify {
		return false, errors.New("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not allowed as the default action")
	}
	notify := false
	for i, sc := range s.Syscalls {
		if sc.Action != specs.ActNotify {
			continue
		}
		for j, name := range sc.Names {
			if name == "write" {
				return false, fmt.Errorf("linux.seccomp.syscalls[%d].names[%d]: SCMP_ACT_NOTIFY is not allowed for write: the container init writes to the runtime after loading the filter", i, j)
			}
		}
		if s.ListenerPath == "" {
			return false, fmt.Errorf("linux.seccomp.syscalls[%d].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath", i)
		}
		notify = true
	}
	return notify, nil
}

func sortedKeys[K ~string, V any](m map[K]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}
