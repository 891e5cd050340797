package integration

import (
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestRunReturnsPromptlyWhenSeccompKillsTheInit(t *testing.T) {
	r := newRuntime(t)
	for _, tc := range []struct {
		name   string
		action specs.LinuxSeccompAction
		calls  []string
	}{
		// The container process makes the call.
		{"kill_thread_in_the_process", specs.ActKill, []string{"mkdir", "mkdirat"}},
		{"kill_process_in_the_process", specs.ActKillProcess, []string{"mkdir", "mkdirat"}},
		// The init's own execve of the process: the thread that makes
		// it dies, the init's other threads live on.
		{"kill_thread_at_execve", specs.ActKill, []string{"execve", "execveat"}},
		{"kill_process_at_execve", specs.ActKillProcess, []string{"execve", "execveat"}},
	} {
		action := tc.action
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := baseSpec("mkdir", "/tmp/x")
			spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls:      []specs.LinuxSyscall{{Names: tc.calls, Action: action}},
			}
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			id := "seckill-" + strings.ReplaceAll(tc.name, "_", "-")
			r.deleteOnCleanup(t, id)
			res, timedOut := r.runBounded(t, 15*time.Second, "run", "--bundle", b.dir, id)
			require.False(t, timedOut, "run hung after seccomp killed the init\n%s", res)
			require.Equal(t, 128+31, res.code, "want 128+SIGSYS\n%s", res)
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}
