package libseccomp

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The filter's BPF program is generated when NewFilter finishes and
// installed by Load with seccomp(2) directly, instead of libseccomp's
// seccomp_load, which generates the program only at load time. The
// container init applies process.rlimits between the two: an RLIMIT_AS
// below the address space the Go init has already reserved (runtime-tools'
// process_rlimits asks for 1 GiB; a Go init with glibc reserves ~1.4 GiB,
// mostly PROT_NONE) leaves no memory to generate a program in, and
// libseccomp 2.5.4 then fails with ENOMEM or crashes (SIGSEGV, "free():
// invalid pointer"). Loading a prepared program needs no allocation.
// libseccomp 2.6's seccomp_precompute would do the same, but 2.5 is what
// Debian 12 ships.

// maxProgramLen is the most instructions struct sock_fprog can count
// (its len is an unsigned short); the kernel's own limit (BPF_MAXINSNS,
// 4096) is checked by seccomp(2).
const maxProgramLen = 1<<16 - 1

// generateProgram exports the finished filter as BPF and records the
// seccomp(2) flags seccomp_load would have used.
func (f *Filter) generateProgram() error {
	fd, err := unix.MemfdCreate("seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("linux.seccomp: generate BPF program: memfd_create: %w", err)
	}
	file := os.NewFile(uintptr(fd), "seccomp-bpf")
	defer file.Close()
	if err := f.filter.ExportBPF(file); err != nil {
		return fmt.Errorf("linux.seccomp: generate BPF program: %w", err)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("linux.seccomp: generate BPF program: seek memfd: %w", err)
	}
	raw, err := io.ReadAll(file)
	if err != nil {
		return fmt.Errorf("linux.seccomp: generate BPF program: read memfd: %w", err)
	}
	const insnSize = int(unsafe.Sizeof(unix.SockFilter{}))
	n := len(raw) / insnSize
	if len(raw)%insnSize != 0 || n == 0 || n > maxProgramLen {
		return fmt.Errorf("linux.seccomp: generate BPF program: libseccomp exported %d bytes, not 1 to %d instructions of %d bytes", len(raw), maxProgramLen, insnSize)
	}
	f.prog = make([]unix.SockFilter, n)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&f.prog[0])), len(raw)), raw)

	// The flags come from the attributes setFlags gave libseccomp, read
	// back as seccomp_load reads them.
	if f.logBit, err = f.filter.GetLogBit(); err != nil {
		f.logBit = false // an API level without SECCOMP_FILTER_FLAG_LOG: setFlags refused the flag already
	}
	if f.ssbBit, err = f.filter.GetSSB(); err != nil {
		f.ssbBit = false
	}
	f.log.Debug("seccomp BPF program generated", slog.Int("instructions", n))
	return nil
}

// loadProgram installs the prepared program on every thread of the
// process. TSYNC is what libseccomp-golang asks for in every filter (a Go
// process runs on several threads and the container process inherits the
// filter of the thread that execs); with a listener the kernel requires
// TSYNC_ESRCH beside it (Linux 5.7), and then returns the listener fd
// instead of a thread id. The fd is close-on-exec (seccomp_unotify(2)).
func (f *Filter) loadProgram() error {
	flags := uintptr(unix.SECCOMP_FILTER_FLAG_TSYNC)
	if f.notify {
		flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
		if f.waitKill {
			flags |= unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
		}
	}
	if f.logBit {
		flags |= unix.SECCOMP_FILTER_FLAG_LOG
	}
	if f.ssbBit {
		flags |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
	}
	prog := unix.SockFprog{Len: uint16(len(f.prog)), Filter: &f.prog[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return fmt.Errorf("load seccomp filter: seccomp(SECCOMP_SET_MODE_FILTER, flags %#x): %w", flags, errno)
	}
	if f.notify {
		f.listener = int(r)
		return nil
	}
	if r != 0 {
		// TSYNC without TSYNC_ESRCH reports the thread it could not
		// synchronise (one with a conflicting filter) by its id.
		return fmt.Errorf("load seccomp filter: thread %d could not be synchronised (TSYNC)", r)
	}
	return nil
}
