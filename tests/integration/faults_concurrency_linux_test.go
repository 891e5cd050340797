package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// runAsync runs the runtime like run, but is safe to call from any
// goroutine: it never fails the test itself.
func (r *rt) runAsync(args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := r.command(ctx, args...)
	dir, err := os.MkdirTemp("", "gcit-out-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		return result{}, err
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		return result{}, err
	}
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	o, _ := os.ReadFile(stdout.Name())
	e, _ := os.ReadFile(stderr.Name())
	res := result{stdout: string(o), stderr: string(e)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = exitCode(err)
		if ctx.Err() != nil {
			return res, fmt.Errorf("%s: timed out after %s (deadlock?)\n%s", strings.Join(args, " "), cmdTimeout, res)
		}
	default:
		return res, fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	return res, nil
}

// cleanError reports why a failed command's error is not clean: it must
// be one non-empty line (several are allowed when a warning comes first;
// the last is the error).
func cleanError(res result) error {
	msg := strings.TrimSuffix(res.stderr, "\n")
	switch {
	case res.code == 0:
		return nil
	case msg == "":
		return fmt.Errorf("failed without an error message\n%s", res)
	case strings.Contains(msg, "\n"):
		return fmt.Errorf("error is not one line\n%s", res)
	case strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine "):
		return fmt.Errorf("panicked\n%s", res)
	}
	return nil
}

// TestFaultRacingCreatesOfOneID starts 50 creates of one id at once:
// exactly one wins, every loser fails with one clean line saying the id
// exists, and the winner's state is exact.
func TestFaultRacingCreatesOfOneID(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	spec := baseSpec("sleep", "100")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	const id, n = "race", 50
	r.deleteOnCleanup(t, id)
	pidFiles := t.TempDir()

	var wg sync.WaitGroup
	results := make([]result, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = r.runAsync("create", "--bundle", b.dir, "--pid-file", filepath.Join(pidFiles, fmt.Sprint(i)), id)
		}()
	}
	close(start)
	wg.Wait()

	winner := -1
	for i := range n {
		require.NoError(t, errs[i])
		if results[i].code == 0 {
			require.Equal(t, -1, winner, "two creates of %q succeeded: #%d and #%d", id, winner, i)
			winner = i
			continue
		}
		require.NoError(t, cleanError(results[i]), "loser #%d", i)
		require.Contains(t, results[i].stderr, "already exists", "loser #%d\n%s", i, results[i])
		require.Contains(t, results[i].stderr, id, "loser #%d\n%s", i, results[i])
		_, err := os.Stat(filepath.Join(pidFiles, fmt.Sprint(i)))
		require.True(t, os.IsNotExist(err), "loser #%d wrote a pid file", i)
	}
	require.NotEqual(t, -1, winner, "no create of %q succeeded", id)

	st := r.mustState(t, id)
	require.Equal(t, "created", st.Status)
	require.Equal(t, id, st.ID)
	require.Equal(t, b.dir, st.Bundle)
	require.True(t, pidAlive(st.Pid), "the winner's init %d is not alive", st.Pid)
	require.Equal(t, fmt.Sprint(st.Pid), readFile(t, filepath.Join(pidFiles, fmt.Sprint(winner))))
	procs := readFile(t, filepath.Join(cgroupDirs(cg)[0], "cgroup.procs"))
	require.Equal(t, fmt.Sprint(st.Pid), strings.TrimSpace(procs), "the container's cgroup holds exactly the winner's init")
	res := r.ok(t, "list", "-q")
	require.Equal(t, id, strings.TrimSpace(res.stdout))

	r.ok(t, "start", id)
	require.Equal(t, "running", r.mustState(t, id).Status)
	r.ok(t, "delete", "-f", id)
	r.requireNothingLeft(t, snap, id, cg)
}

// TestFaultConcurrentLifecycles runs 100 whole lifecycles (create,
// start, state, kill, delete) of distinct containers at once, sharing one
// rootfs: every command succeeds and nothing is left.
func TestFaultConcurrentLifecycles(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	const n = 100
	rootfsDir := rootfs(t)
	var cgs []string
	bundles := make([]string, n)
	for i := range n {
		spec := baseSpec("sleep", "100")
		spec.Root = &specs.Root{Path: rootfsDir}
		cg := uniqueCgroup(t)
		cgs = append(cgs, cg)
		spec.Linux.CgroupsPath = cg
		dir := t.TempDir()
		data, err := json.Marshal(spec)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644))
		bundles[i] = dir
		r.deleteOnCleanup(t, fmt.Sprintf("life%d", i))
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = lifecycle(r, fmt.Sprintf("life%d", i), bundles[i])
		}()
	}
	wg.Wait()
	t.Logf("%d concurrent lifecycles in %s", n, time.Since(t0).Round(time.Millisecond))
	for i, err := range errs {
		require.NoError(t, err, "life%d", i)
	}
	res := r.ok(t, "list", "-q")
	require.Empty(t, strings.TrimSpace(res.stdout))
	for i, cg := range cgs {
		r.requireNothingLeft(t, snap, fmt.Sprintf("life%d", i), cg)
	}
}

func lifecycle(r *rt, id, bundle string) error {
	step := func(want string, args ...string) (result, error) {
		res, err := r.runAsync(args...)
		if err != nil {
			return res, err
		}
		if res.code != 0 {
			return res, fmt.Errorf("%s: %s", strings.Join(args, " "), res)
		}
		if want != "" {
			var st ociState
			if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
				return res, fmt.Errorf("state %s: %v: %q", id, err, res.stdout)
			}
			if st.Status != want || st.ID != id {
				return res, fmt.Errorf("state %s: %s %s, want %s", id, st.ID, st.Status, want)
			}
		}
		return res, nil
	}
	for _, s := range []struct {
		want string
		args []string
	}{
		{"", []string{"create", "--bundle", bundle, id}},
		{"created", []string{"state", id}},
		{"", []string{"start", id}},
		{"running", []string{"state", id}},
		{"", []string{"kill", id, "KILL"}},
	} {
		if _, err := step(s.want, s.args...); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(cmdTimeout)
	for {
		res, err := r.runAsync("state", id)
		if err != nil {
			return err
		}
		if strings.Contains(res.stdout, `"stopped"`) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not stop after kill: %s", id, res)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err := step("", "delete", id)
	return err
}

// TestFaultConcurrentOperationsOnOneContainer hammers one running
// container with pause, resume, update, kill -0 style signals, state and
// ps from several goroutines, then deletes it with -f while they still
// run: no command hangs (each has a deadline), every failure is one clean
// line, state never reads a torn state.json, and nothing is left.
func TestFaultConcurrentOperationsOnOneContainer(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	spec := baseSpec("sleep", "100")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	const id = "busy"
	r.deleteOnCleanup(t, id)
	r.ok(t, "create", "--bundle", b.dir, id)
	r.ok(t, "start", id)

	ops := [][]string{
		{"pause", id},
		{"resume", id},
		{"update", "--pids-limit", "200", id},
		{"update", "--memory", "64M", id},
		{"kill", id, "CONT"},
		{"state", id},
		{"ps", id},
		{"list"},
	}
	var (
		mu       sync.Mutex
		failures []string
		counts   = map[string]int{}
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// Once delete -f starts, refusals because the container is stopped
	// or gone are right; before, only pause/resume wrong-state ones are.
	deleting := make(chan struct{})
	for w, op := range ops {
		for k := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					res, err := r.runAsync(op...)
					mu.Lock()
					counts[op[0]]++
					if err != nil {
						failures = append(failures, err.Error())
					} else if cerr := cleanError(res); cerr != nil {
						failures = append(failures, fmt.Sprintf("%v: %v", op, cerr))
					} else if op[0] == "state" && res.code == 0 {
						var st ociState
						if jerr := json.Unmarshal([]byte(res.stdout), &st); jerr != nil || st.ID != id {
							failures = append(failures, fmt.Sprintf("state: torn output %q", res.stdout))
						}
					} else if res.code != 0 {
						select {
						case <-deleting:
						default:
							// Before the delete only a wrong-state refusal is fine
							// (pause of a paused container, resume of a running one).
							if !strings.Contains(res.stderr, "is paused") && !strings.Contains(res.stderr, "is running") {
								failures = append(failures, fmt.Sprintf("%v (worker %d.%d): %s", op, w, k, res))
							}
						}
					}
					mu.Unlock()
				}
			}()
		}
	}
	time.Sleep(3 * time.Second)
	close(deleting)
	res, err := r.runAsync("delete", "-f", id)
	require.NoError(t, err)
	require.Equal(t, 0, res.code, "delete -f under load: %s", res)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("operations run: %v", counts)
	require.Empty(t, failures)
	for _, op := range ops {
		require.Positive(t, counts[op[0]], "%s never ran", op[0])
	}
	res = r.run(t, "state", id)
	require.True(t, isNotExist(res.stderr), res.String())
	r.requireNothingLeft(t, snap, id, cg)
}
