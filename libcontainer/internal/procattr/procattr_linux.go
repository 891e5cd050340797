// Package procattr applies the per-process kernel attributes of an OCI
// process that are neither credentials nor limits: the scheduling policy
// (process.scheduler), the I/O priority (process.ioPriority) and the
// execution domain (linux.personality). They are set by the container init
// on the thread that will exec (these attributes are per thread), and are
// inherited across execve.
package procattr

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
	specs.SchedOther:    unix.SCHED_NORMAL,
	specs.SchedFIFO:     unix.SCHED_FIFO,
	specs.SchedRR:       unix.SCHED_RR,
	specs.SchedBatch:    unix.SCHED_BATCH,
	specs.SchedISO:      4, // SCHED_ISO: reserved, never implemented; the kernel refuses it
	specs.SchedIdle:     unix.SCHED_IDLE,
	specs.SchedDeadline: unix.SCHED_DEADLINE,
}

var schedFlags = map[specs.LinuxSchedulerFlag]uint64{
	specs.SchedFlagResetOnFork:  unix.SCHED_FLAG_RESET_ON_FORK,
	specs.SchedFlagReclaim:      unix.SCHED_FLAG_RECLAIM,
	specs.SchedFlagDLOverrun:    unix.SCHED_FLAG_DL_OVERRUN,
	specs.SchedFlagKeepPolicy:   unix.SCHED_FLAG_KEEP_POLICY,
	specs.SchedFlagKeepParams:   unix.SCHED_FLAG_KEEP_PARAMS,
	specs.SchedFlagUtilClampMin: unix.SCHED_FLAG_UTIL_CLAMP_MIN,
	specs.SchedFlagUtilClampMax: unix.SCHED_FLAG_UTIL_CLAMP_MAX,
}

// SchedAttr converts process.scheduler to sched_setattr(2)'s argument.
func SchedAttr(s *specs.Scheduler) (*unix.SchedAttr, error) {
	policy, ok := schedPolicies[s.Policy]
	if !ok {
		return nil, fmt.Errorf("process.scheduler.policy: unknown policy %q", s.Policy)
	}
	attr := &unix.SchedAttr{
		Policy: policy, Nice: s.Nice, Priority: uint32(s.Priority),
		Runtime: s.Runtime, Deadline: s.Deadline, Period: s.Period,
	}
	for _, f := range s.Flags {
		v, ok := schedFlags[f]
		if !ok {
			return nil, fmt.Errorf("process.scheduler.flags: unknown flag %q", f)
		}
		attr.Flags |= v
	}
	return attr, nil
}

// ApplyScheduler sets the scheduling policy of the calling thread, which
// execve passes on to the container process.
func ApplyScheduler(s *specs.Scheduler) error {
	attr, err := SchedAttr(s)
	if err != nil {
		return err
	}
	if err := unix.SchedSetAttr(0, attr, 0); err != nil {
		return fmt.Errorf("process.scheduler: %w", os.NewSyscallError("sched_setattr", err))
	}
	return nil
}

// I/O priority encoding, from include/uapi/linux/ioprio.h.
const (
	ioprioClassShift = 13
	ioprioWhoProcess = 1
)

var ioprioClasses = map[specs.IOPriorityClass]int{
	specs.IOPRIO_CLASS_RT:   1,
	specs.IOPRIO_CLASS_BE:   2,
	specs.IOPRIO_CLASS_IDLE: 3,
}

// IOPrio encodes process.ioPriority as ioprio_set(2) takes it.
func IOPrio(p *specs.LinuxIOPriority) (int, error) {
	class, ok := ioprioClasses[p.Class]
	if !ok {
		return 0, fmt.Errorf("process.ioPriority.class: unknown class %q", p.Class)
	}
	if p.Priority < 0 || p.Priority > 7 {
		return 0, fmt.Errorf("process.ioPriority.priority: %d is not in 0..7", p.Priority)
	}
	return class<<ioprioClassShift | p.Priority, nil
}

// ApplyIOPriority sets the I/O priority of the calling thread.
func ApplyIOPriority(p *specs.LinuxIOPriority) error {
	prio, err := IOPrio(p)
	if err != nil {
		return err
	}
	if _, _, errno := unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, 0, uintptr(prio)); errno != 0 {
		return fmt.Errorf("process.ioPriority: %w", os.NewSyscallError("ioprio_set", errno))
	}
	return nil
}

// Execution domains and flags of personality(2), from
// include/uapi/linux/personality.h.
const (
	perLinux   = 0x0000
	perLinux32 = 0x0008
)

// Persona encodes linux.personality. runtime-spec defines no flags yet; any
// given are refused rather than ignored.
func Persona(p *specs.LinuxPersonality) (uint, error) {
	var v uint
	switch p.Domain {
	case specs.PerLinux:
		v = perLinux
	case specs.PerLinux32:
		v = perLinux32
	default:
		return 0, fmt.Errorf("linux.personality.domain: unknown domain %q", p.Domain)
	}
	if len(p.Flags) > 0 {
		return 0, fmt.Errorf("linux.personality.flags: unknown flag %q", p.Flags[0])
	}
	return v, nil
}

// ApplyPersonality sets the execution domain of the calling thread.
func ApplyPersonality(p *specs.LinuxPersonality) error {
	v, err := Persona(p)
	if err != nil {
		return err
	}
	if _, _, errno := unix.Syscall(unix.SYS_PERSONALITY, uintptr(v), 0, 0); errno != 0 {
		return fmt.Errorf("linux.personality: %w", os.NewSyscallError("personality", errno))
	}
	return nil
}
