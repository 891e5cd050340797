package integration

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// withoutNamespace drops one namespace type from the spec.
func withoutNamespace(spec *specs.Spec, typ specs.LinuxNamespaceType) {
	spec.Linux.Namespaces = slices.DeleteFunc(spec.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == typ })
}

func TestRunReturnsTheContainerExitStatus(t *testing.T) {
	r := newRuntime(t)
	tests := []struct {
		name  string
		args  []string
		pidNS bool
		want  int
	}{
		{name: "exit_0", args: []string{"true"}, pidNS: true, want: 0},
		{name: "exit_3", args: []string{"sh", "-c", "exit 3"}, pidNS: true, want: 3},
		// Inside its own pid namespace the shell would be pid 1, which
		// cannot SIGKILL itself; without one it is an ordinary process.
		{name: "killed_by_SIGKILL_is_128_plus_9", args: []string{"sh", "-c", "kill -9 $$"}, pidNS: false, want: 128 + 9},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := baseSpec(tc.args...)
			if !tc.pidNS {
				withoutNamespace(spec, specs.PIDNamespace)
			}
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			id := "rx" + string(rune('a'+i))
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, tc.want, res.code, "run %v\n%s", tc.args, res)
			// Without --keep the container is gone once run returns.
			_, st := r.state(t, id)
			requireOneLineError(t, st, id)
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}

func TestRunKeepLeavesAStoppedContainer(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, baseSpec("sh", "-c", "exit 7"))
	r.deleteOnCleanup(t, "rk")
	res := r.run(t, "run", "--keep", "--bundle", b.dir, "rk")
	require.Equal(t, 7, res.code, res.String())
	require.Equal(t, "stopped", r.mustState(t, "rk").Status)
	r.ok(t, "delete", "rk")
}

func TestRunDetachReturnsAtOnceAndTheContainerRuns(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	spec := baseSpec("sleep", "100")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, "rd")
	pidFile := filepath.Join(t.TempDir(), "pid")
	start := time.Now()
	r.ok(t, "run", "--detach", "--pid-file", pidFile, "--bundle", b.dir, "rd")
	require.Less(t, time.Since(start), 5*time.Second, "run --detach waited for the container")
	st := r.mustState(t, "rd")
	require.Equal(t, "running", st.Status)
	raw, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(st.Pid), string(raw), "pid file of run --detach (no trailing newline, state's pid)")
	eventually(t, 10*time.Second, "the container's process to be sleep", func() bool {
		comm, _ := os.ReadFile(filepathJoinProc(st.Pid, "comm"))
		return string(comm) == "sleep\n"
	})
	r.ok(t, "delete", "--force", "rd")
	r.requireNothingLeft(t, snap, "rd", cg)
}

func filepathJoinProc(pid int, name string) string {
	return filepath.Join("/proc", strconv.Itoa(pid), name)
}

// TestRunForwardsSignalsToTheContainer sends signals to the foreground
// `gocontainer run` process and checks the container's shell traps ran:
// USR1 appends a line to a file, TERM exits with the code the trap chose.
func TestRunForwardsSignalsToTheContainer(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	script := `trap 'echo usr1 >> /signals' USR1; trap 'echo term >> /signals; exit 42' TERM; touch /ready; while :; do sleep 0.05; done`
	spec := baseSpec("sh", "-c", script)
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, "rs")

	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := r.command(ctx, "run", "--bundle", b.dir, "rs")
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	waited := false
	t.Cleanup(func() {
		if !waited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})

	ready := filepath.Join(b.rootfs, "ready")
	signals := filepath.Join(b.rootfs, "signals")
	eventually(t, 10*time.Second, "the container's trap to be set ("+ready+")", func() bool {
		_, err := os.Stat(ready)
		return err == nil
	})

	require.NoError(t, cmd.Process.Signal(syscall.SIGUSR1))
	eventually(t, 5*time.Second, "the container to see SIGUSR1", func() bool {
		data, _ := os.ReadFile(signals)
		return string(data) == "usr1\n"
	})
	require.True(t, pidAlive(cmd.Process.Pid), "gocontainer run exited on SIGUSR1 instead of forwarding it")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	waited = true
	log, _ := os.ReadFile(out.Name())
	require.Equal(t, 42, exitCode(err), "run's exit status after the TERM trap's `exit 42`; output: %s", log)
	data, _ := os.ReadFile(signals)
	require.Equal(t, "usr1\nterm\n", string(data))
	r.requireNothingLeft(t, snap, "rs", cg)
}
