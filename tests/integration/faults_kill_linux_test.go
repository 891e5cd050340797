package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The runtime stops at a named step when GOCONTAINER_TEST_STOP_AT names
// it (libcontainer/internal/stopat): the process renames its thread to
// stopComm and blocks there until killed.
const (
	stopEnv  = "GOCONTAINER_TEST_STOP_AT"
	stopComm = "gc-stopped"
)

// killCase is one command and the steps of its work at which it is
// killed. Every step must be reached: a step the runtime no longer has
// fails the test, so the list stays the runtime's.
type killCase struct {
	command string
	// setup brings the container to the state the command needs.
	setup string // "", "created", "running", "paused"
	args  func(id string) []string
	steps []string
	// after runs once the command has been set going with the stop
	// variable, e.g. start for the init's last step (taken after start
	// released it).
	after func(t *testing.T, r *rt, id string)
	// status is what state must say after the kill at a step, where it
	// is certain.
	status map[string]string
}

func killCases() []killCase {
	return []killCase{
		{command: "create", args: func(id string) []string { return []string{"create", "--bundle", "BUNDLE", id} },
			steps: []string{"create:locked", "create:state", "create:fifo", "create:sealed", "create:started", "create:cgroup",
				"create:bootstrapped", "create:config", "create:ready", "create:saved", "create:acked"}},
		// The container init, killed while create waits on it.
		{command: "init", args: func(id string) []string { return []string{"create", "--bundle", "BUNDLE", id} },
			steps: []string{"init:join session keyring", "init:prepare rootfs", "init:switch root", "init:set hostname",
				"init:finalize rootfs", "init:HOME", "init:capabilities", "init:set user", "init:process LSM labels",
				"init:ready", "init:acked"}},
		// The init's last step is reached only once start released it.
		{command: "init", args: func(id string) []string { return []string{"create", "--bundle", "BUNDLE", id} },
			steps: []string{"init:released"},
			after: func(t *testing.T, r *rt, id string) { r.ok(t, "start", id) }},
		{command: "start", setup: "created", args: func(id string) []string { return []string{"start", id} },
			steps: []string{"start:locked", "start:opened", "start:released", "start:removed"},
			// Once start opened the fifo the init runs on: the container
			// is running even though start died before removing the fifo.
			status: map[string]string{"start:locked": "created", "start:opened": "running", "start:released": "running", "start:removed": "running"}},
		{command: "exec", setup: "running", args: func(id string) []string { return []string{"exec", "-d", id, "sleep", "100"} },
			steps: []string{"exec:started", "exec:cgroup", "exec:bootstrapped", "exec:config", "exec:ready", "init:set user"}},
		{command: "delete", setup: "running", args: func(id string) []string { return []string{"delete", "-f", id} },
			steps: []string{"delete:locked", "delete:killed", "delete:cgroup"}},
		{command: "pause", setup: "running", args: func(id string) []string { return []string{"pause", id} },
			steps: []string{"pause:locked", "pause:done"}, status: map[string]string{"pause:locked": "running", "pause:done": "paused"}},
		{command: "resume", setup: "paused", args: func(id string) []string { return []string{"resume", id} },
			steps: []string{"resume:locked", "resume:done"}, status: map[string]string{"resume:locked": "paused", "resume:done": "running"}},
		{command: "update", setup: "running", args: func(id string) []string { return []string{"update", "--pids-limit", "321", id} },
			steps: []string{"update:locked", "update:set"}},
	}
}

// stoppedProcess finds the descendant of this test process that stopped
// at its step (a thread named stopComm), or 0.
func stoppedProcess() int {
	tasks, _ := filepath.Glob("/proc/[0-9]*/task/[0-9]*/comm")
	me := os.Getpid()
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil || strings.TrimSpace(string(b)) != stopComm {
			continue
		}
		pid, err := strconv.Atoi(strings.Split(f, "/")[2])
		if err == nil && descendantOf(pid, me) {
			return pid
		}
	}
	return 0
}

// descendantOf reports whether pid's parent chain reaches ancestor.
func descendantOf(pid, ancestor int) bool {
	for i := 0; i < 64 && pid > 1; i++ {
		ppid := parentOf(pid)
		if ppid == ancestor {
			return true
		}
		pid = ppid
	}
	return false
}

func parentOf(pid int) int {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(st)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// TestFaultKillAtEveryStep kills create, the container init, start,
// exec, delete, pause, resume and update with SIGKILL at every named step
// of their work, then requires that state and list still work, that
// delete -f cleans up, and that nothing is left: state dir (with its exec
// fifo), cgroup directories in every hierarchy, mounts, processes.
func TestFaultKillAtEveryStep(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, baseSpec("sleep", "100"))
	n := 0
	for _, kc := range killCases() {
		for _, step := range kc.steps {
			n++
			id := fmt.Sprintf("fk%d", n)
			t.Run(strings.ReplaceAll(step, " ", "_"), func(t *testing.T) {
				killAtStep(t, r, b, kc, step, id)
			})
		}
	}
}

func killAtStep(t *testing.T, r *rt, b *bundle, kc killCase, step, id string) {
	snap := takeSnapshot(t)
	spec := baseSpec("sleep", "100")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b.write(t, spec)
	r.deleteOnCleanup(t, id)
	switch kc.setup {
	case "created":
		r.ok(t, "create", "--bundle", b.dir, id)
	case "running", "paused":
		r.ok(t, "create", "--bundle", b.dir, id)
		r.ok(t, "start", id)
		if kc.setup == "paused" {
			r.ok(t, "pause", id)
		}
	}

	args := kc.args(id)
	for i, a := range args {
		if a == "BUNDLE" {
			args[i] = b.dir
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := r.command(ctx, args...)
	cmd.Env = append(os.Environ(), stopEnv+"="+step)
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if kc.after != nil {
		select {
		case err := <-done:
			require.NoError(t, err, "%s: %s", args, readFile(t, out.Name()))
		case <-time.After(cmdTimeout):
			t.Fatalf("%s did not finish", args)
		}
		kc.after(t, r, id)
	}

	// The command may finish before its init reaches a late step (create
	// returns once the init reported ready): then keep looking for the
	// init, which still has to stop.
	var victim int
	finished := kc.after != nil
	deadline := time.Now().Add(20 * time.Second)
	for victim == 0 {
		if victim = stoppedProcess(); victim != 0 {
			break
		}
		if !finished {
			select {
			case err := <-done:
				require.NoError(t, err, "%s finished without reaching step %q: %s", args, step, readFile(t, out.Name()))
				finished = true
				if kc.command != "init" {
					t.Fatalf("%s finished without reaching step %q: %s", args, step, readFile(t, out.Name()))
				}
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no process stopped at step %q (command finished: %v)", step, finished)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !finished {
		select {
		case err := <-done:
			// create may finish before its init reaches its last steps.
			require.NoError(t, err, "%s: %s", args, readFile(t, out.Name()))
			finished = true
		default:
		}
	}
	require.NoError(t, unix.Kill(victim, unix.SIGKILL))
	if !finished {
		// The command itself, or the command noticing its init died.
		select {
		case <-done:
		case <-time.After(cmdTimeout):
			_ = cmd.Process.Kill()
			t.Fatalf("%s hung after its child was killed at %q: %s", args, step, readFile(t, out.Name()))
		}
		if victim != cmd.Process.Pid && !cmd.ProcessState.Success() {
			// The init was killed: the command fails with one line (or
			// succeeds, when it had finished waiting for the init: create
			// returns once the init reported ready).
			res := result{stderr: readFile(t, out.Name()), code: cmd.ProcessState.ExitCode()}
			requireOneLineError(t, res)
		}
		if victim != cmd.Process.Pid && cmd.ProcessState.Success() && kc.command == "exec" {
			t.Fatalf("%s succeeded although its process was killed at %q before it was executed", args, step)
		}
	}

	checkStateAndList(t, r, id)
	if want, ok := kc.status[step]; ok {
		eventually(t, 5*time.Second, "status "+want, func() bool { return r.mustState(t, id).Status == want })
		if want == "running" {
			res := r.run(t, "start", id)
			requireOneLineError(t, res, "running")
		}
	}
	res := r.runReaping(t, "delete", "-f", id)
	if res.code != 0 {
		require.True(t, isNotExist(res.stderr), "delete -f after a kill at %q failed:\n%s", step, res)
		requireOneLineError(t, res, id)
	}
	r.requireNothingLeft(t, snap, id, cg)
	res = r.run(t, "list", "-q")
	require.Equal(t, 0, res.code, res.String())
	require.NotContains(t, strings.Fields(res.stdout), id)
}

// checkStateAndList: state prints the container (valid JSON, the right id
// and a known status) or says cleanly that it does not exist, and list
// agrees with it.
func checkStateAndList(t *testing.T, r *rt, id string) {
	t.Helper()
	res := r.run(t, "state", id)
	exists := res.code == 0
	if exists {
		var st ociState
		require.NoError(t, json.Unmarshal([]byte(res.stdout), &st), "state output: %s", res)
		require.Equal(t, id, st.ID)
		require.Contains(t, []string{"creating", "created", "running", "paused", "stopped"}, st.Status)
	} else {
		require.True(t, isNotExist(res.stderr), "state failed for another reason than a missing id:\n%s", res)
		requireOneLineError(t, res, id)
	}
	res = r.run(t, "list", "-q")
	require.Equal(t, 0, res.code, res.String())
	require.Equal(t, exists, strings.Contains(" "+strings.Join(strings.Fields(res.stdout), " ")+" ", " "+id+" "), "list -q %q, state exists=%v", res.stdout, exists)
}

// runReaping is run for a command that kills what a killed command left:
// processes that were re-parented to this test (the subreaper) must be
// reaped while it runs, as a real client's subreaper (containerd-shim,
// conmon) does, or a pid namespace's init cannot finish dying.
func (r *rt) runReaping(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := r.command(ctx, args...)
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	require.NoError(t, err)
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	require.NoError(t, err)
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	require.NoError(t, cmd.Start())
	for {
		// Never reap the command itself: Wait does that.
		var ws unix.WaitStatus
		exited := false
		for _, p := range ourChildren() {
			if p.pid == cmd.Process.Pid {
				exited = p.state == "Z"
				continue
			}
			if p.state == "Z" {
				_, _ = unix.Wait4(p.pid, &ws, unix.WNOHANG, nil)
			}
		}
		if exited || ctx.Err() != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	err = cmd.Wait()
	require.NoError(t, ctx.Err(), "%s timed out", args)
	res := result{stdout: readFile(t, stdout.Name()), stderr: readFile(t, stderr.Name()), code: exitCode(err)}
	return res
}

// TestFaultKillAtRandomDelays is the blind complement of the named steps:
// with GOCONTAINER_FAULT_RANDOM_KILLS=N it kills each of create, start,
// exec, delete, pause and update N times after a random delay (up to 40 ms
// for create, 20 ms for exec and delete, 8 ms for the others), so kills also land between the
// named steps and inside the C stage, then requires the same as
// TestFaultKillAtEveryStep. Not in CI (N=200 takes several minutes):
//
//	GOCONTAINER_FAULT_RANDOM_KILLS=200 just test-faults -run TestFaultKillAtRandomDelays
func TestFaultKillAtRandomDelays(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("GOCONTAINER_FAULT_RANDOM_KILLS"))
	if n <= 0 {
		t.Skip("GOCONTAINER_FAULT_RANDOM_KILLS is not set")
	}
	r := newRuntime(t)
	b := newBundle(t, baseSpec("sleep", "100"))
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
	for _, kc := range []struct {
		command, setup string
		maxDelay       time.Duration
		args           []string
	}{
		{"create", "", 40 * time.Millisecond, []string{"create", "--bundle", b.dir}},
		{"start", "created", 8 * time.Millisecond, []string{"start"}},
		{"exec", "running", 20 * time.Millisecond, []string{"exec", "-d", "ID", "sleep", "100"}},
		{"delete", "running", 20 * time.Millisecond, []string{"delete", "-f"}},
		{"pause", "running", 8 * time.Millisecond, []string{"pause"}},
		{"update", "running", 8 * time.Millisecond, []string{"update", "--pids-limit", "321"}},
	} {
		t.Run(kc.command, func(t *testing.T) {
			killedEarly := 0
			for i := range n {
				id := fmt.Sprintf("rk-%s-%d", kc.command, i)
				snap := takeSnapshot(t)
				spec := baseSpec("sleep", "100")
				cg := uniqueCgroup(t)
				spec.Linux.CgroupsPath = cg
				b.write(t, spec)
				r.deleteOnCleanup(t, id)
				if kc.setup != "" {
					r.ok(t, "create", "--bundle", b.dir, id)
				}
				if kc.setup == "running" {
					r.ok(t, "start", id)
				}
				var args []string
				if slices.Contains(kc.args, "ID") {
					for _, a := range kc.args {
						if a == "ID" {
							a = id
						}
						args = append(args, a)
					}
				} else {
					args = append(slices.Clone(kc.args), id)
				}
				ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
				cmd := r.command(ctx, args...)
				require.NoError(t, cmd.Start())
				time.Sleep(time.Duration(rng.Int64N(int64(kc.maxDelay) + 1)))
				_ = cmd.Process.Signal(unix.SIGKILL)
				err := cmd.Wait()
				cancel()
				if err != nil {
					killedEarly++
				}
				checkStateAndList(t, r, id)
				res := r.runReaping(t, "delete", "-f", id)
				if res.code != 0 {
					require.True(t, isNotExist(res.stderr), "%s killed (run %d): delete -f failed:\n%s", kc.command, i, res)
				}
				r.requireNothingLeft(t, snap, id, cg)
			}
			t.Logf("%s: %d kills, %d landed before the command finished", kc.command, n, killedEarly)
		})
	}
}
