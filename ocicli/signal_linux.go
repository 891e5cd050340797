package ocicli

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// Real-time signal bounds as user space sees them. The kernel's SIGRTMIN is
// 32, but glibc and musl reserve 32 and 33 for their threading, so kill(1),
// "kill -l" and every caller of runc mean 34 by RTMIN (signal(7)).
const (
	sigRTMin = 34
	sigRTMax = 64
)

// signalNames maps names without the SIG prefix to numbers. The syscall
// constants carry each architecture's numbering (they differ on mips).
var signalNames = map[string]syscall.Signal{
	"ABRT":   syscall.SIGABRT,
	"ALRM":   syscall.SIGALRM,
	"BUS":    syscall.SIGBUS,
	"CHLD":   syscall.SIGCHLD,
	"CLD":    syscall.SIGCLD,
	"CONT":   syscall.SIGCONT,
	"FPE":    syscall.SIGFPE,
	"HUP":    syscall.SIGHUP,
	"ILL":    syscall.SIGILL,
	"INT":    syscall.SIGINT,
	"IO":     syscall.SIGIO,
	"IOT":    syscall.SIGIOT,
	"KILL":   syscall.SIGKILL,
	"PIPE":   syscall.SIGPIPE,
	"POLL":   syscall.SIGPOLL,
	"PROF":   syscall.SIGPROF,
	"PWR":    syscall.SIGPWR,
	"QUIT":   syscall.SIGQUIT,
	"SEGV":   syscall.SIGSEGV,
	"STKFLT": syscall.SIGSTKFLT,
	"STOP":   syscall.SIGSTOP,
	"SYS":    syscall.SIGSYS,
	"TERM":   syscall.SIGTERM,
	"TRAP":   syscall.SIGTRAP,
	"TSTP":   syscall.SIGTSTP,
	"TTIN":   syscall.SIGTTIN,
	"TTOU":   syscall.SIGTTOU,
	"URG":    syscall.SIGURG,
	"USR1":   syscall.SIGUSR1,
	"USR2":   syscall.SIGUSR2,
	"VTALRM": syscall.SIGVTALRM,
	"WINCH":  syscall.SIGWINCH,
	"XCPU":   syscall.SIGXCPU,
	"XFSZ":   syscall.SIGXFSZ,
}

// ParseSignal parses a signal the way "kill ID SIGNAL" takes it: a number
// (0 to 64; 0 only checks that the process exists, as in kill(2)), or a
// name with or without the SIG prefix, in any case ("KILL", "sigkill",
// "SIGKILL"), including real-time signals written RTMIN, RTMIN+N, RTMAX and
// RTMAX-N (with or without SIG).
func ParseSignal(s string) (syscall.Signal, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return 0, fmt.Errorf("invalid signal: empty")
	}
	if raw[0] >= '0' && raw[0] <= '9' {
		n, err := strconv.ParseUint(raw, 10, 8)
		if err != nil || n > sigRTMax {
			return 0, fmt.Errorf("invalid signal %q: number out of range 0-%d", s, sigRTMax)
		}
		return syscall.Signal(n), nil
	}
	// ASCII only: strings.ToUpper would turn "\u017figkill" into SIGKILL.
	for i := 0; i < len(raw); i++ {
		if raw[i] >= 0x80 {
			return 0, fmt.Errorf("invalid signal %q: unknown signal name", s)
		}
	}
	name := strings.TrimPrefix(strings.ToUpper(raw), "SIG")
	if sig, ok := signalNames[name]; ok {
		return sig, nil
	}
	if sig, ok, err := parseRealtime(name); ok {
		if err != nil {
			return 0, fmt.Errorf("invalid signal %q: %w", s, err)
		}
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal %q: unknown signal name", s)
}

// parseRealtime parses RTMIN, RTMIN+N, RTMAX and RTMAX-N. ok reports whether
// name has the RTMIN/RTMAX form at all, so that a bad offset gets a
// precise error instead of "unknown signal name".
func parseRealtime(name string) (syscall.Signal, bool, error) {
	var base, dir int
	var rest string
	switch {
	case strings.HasPrefix(name, "RTMIN"):
		base, dir, rest = sigRTMin, 1, name[len("RTMIN"):]
	case strings.HasPrefix(name, "RTMAX"):
		base, dir, rest = sigRTMax, -1, name[len("RTMAX"):]
	default:
		return 0, false, nil
	}
	if rest == "" {
		return syscall.Signal(base), true, nil
	}
	want := byte('+')
	if dir < 0 {
		want = '-'
	}
	if rest[0] != want || len(rest) == 1 {
		return 0, true, fmt.Errorf("real-time offset must be written %c<number>", want)
	}
	off, err := strconv.ParseUint(rest[1:], 10, 8)
	if err != nil || off > sigRTMax-sigRTMin {
		return 0, true, fmt.Errorf("real-time offset %q out of range 0-%d", rest[1:], sigRTMax-sigRTMin)
	}
	return syscall.Signal(base + dir*int(off)), true, nil
}
