package procattr

import (
	"runtime"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestSchedAttrConversion(t *testing.T) {
	attr, err := SchedAttr(&specs.Scheduler{Policy: specs.SchedBatch, Nice: 7,
		Flags: []specs.LinuxSchedulerFlag{specs.SchedFlagResetOnFork}})
	require.NoError(t, err)
	require.Equal(t, uint32(unix.SCHED_BATCH), attr.Policy)
	require.Equal(t, int32(7), attr.Nice)
	require.Equal(t, uint64(unix.SCHED_FLAG_RESET_ON_FORK), attr.Flags)

	_, err = SchedAttr(&specs.Scheduler{Policy: "SCHED_NOPE"})
	require.EqualError(t, err, `process.scheduler.policy: unknown policy "SCHED_NOPE"`)
	_, err = SchedAttr(&specs.Scheduler{Policy: specs.SchedOther, Flags: []specs.LinuxSchedulerFlag{"SCHED_FLAG_NOPE"}})
	require.EqualError(t, err, `process.scheduler.flags: unknown flag "SCHED_FLAG_NOPE"`)
}

func TestIOPrioEncoding(t *testing.T) {
	for _, tc := range []struct {
		p    specs.LinuxIOPriority
		want int
		err  string
	}{
		{specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 4}, 2<<13 | 4, ""},
		{specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_RT, Priority: 0}, 1 << 13, ""},
		{specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_IDLE, Priority: 7}, 3<<13 | 7, ""},
		{specs.LinuxIOPriority{Class: "IOPRIO_CLASS_NOPE"}, 0, `process.ioPriority.class: unknown class "IOPRIO_CLASS_NOPE"`},
		{specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 8}, 0, "process.ioPriority.priority: 8 is not in 0..7"},
	} {
		got, err := IOPrio(&tc.p)
		if tc.err != "" {
			require.EqualError(t, err, tc.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
}

func TestPersonaEncoding(t *testing.T) {
	v, err := Persona(&specs.LinuxPersonality{Domain: specs.PerLinux32})
	require.NoError(t, err)
	require.Equal(t, uint(8), v)
	_, err = Persona(&specs.LinuxPersonality{Domain: "LINUX64"})
	require.EqualError(t, err, `linux.personality.domain: unknown domain "LINUX64"`)
	_, err = Persona(&specs.LinuxPersonality{Domain: specs.PerLinux, Flags: []specs.LinuxPersonalityFlag{"X"}})
	require.Error(t, err)
}

// The kernel must report back what ApplyIOPriority and ApplyScheduler set.
// Both run on a locked thread that is thrown away afterwards (a goroutine
// that exits while locked takes its thread with it).
func TestApplySetsWhatTheKernelReports(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		require.NoError(t, ApplyScheduler(&specs.Scheduler{Policy: specs.SchedBatch, Nice: 3}))
		attr, err := unix.SchedGetAttr(0, 0)
		require.NoError(t, err)
		require.Equal(t, uint32(unix.SCHED_BATCH), attr.Policy)
		require.Equal(t, int32(3), attr.Nice)
	}()
	<-done

	// ioprio is per thread too (IOPRIO_WHO_PROCESS with pid 0 is the
	// calling thread).
	done = make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		require.NoError(t, ApplyIOPriority(&specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 6}))
		got, _, errno := unix.Syscall(unix.SYS_IOPRIO_GET, ioprioWhoProcess, 0, 0)
		require.Zero(t, errno)
		require.Equal(t, uintptr(2<<13|6), got)
	}()
	<-done
}
