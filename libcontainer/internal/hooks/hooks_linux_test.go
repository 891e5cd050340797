package hooks

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcontainer/internal/logtest"
)

// script writes an executable shell script into dir and returns its path.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755))
	return p
}

func intp(i int) *int { return &i }

func TestRunGivesStateOnStdinAndExactlyTheHookEnvAndArgs(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GOCONTAINER_RUNTIME_ONLY", "leak")
	hook := script(t, dir, "hook", `cat > "$OUT/state"; env | sort > "$OUT/env"; printf '%s\n' "$@" > "$OUT/args"`)
	state := []byte(`{"ociVersion":"1.3.0","id":"c1","status":"creating","pid":42,"bundle":"/b"}`)
	err := Run(context.Background(), []specs.Hook{{
		Path: hook,
		Args: []string{"ignored-by-shebang", "one", "two words"},
		Env:  []string{"OUT=" + dir, "FOO=bar"},
	}}, state, Prestart)
	require.NoError(t, err)

	got, err := os.ReadFile(filepath.Join(dir, "state"))
	require.NoError(t, err)
	require.Equal(t, state, got)
	env, err := os.ReadFile(filepath.Join(dir, "env"))
	require.NoError(t, err)
	// sh adds PWD (and may add SHLVL / _); nothing of the runtime's env.
	require.NotContains(t, string(env), "GOCONTAINER_RUNTIME_ONLY")
	require.Contains(t, string(env), "FOO=bar\n")
	require.Contains(t, string(env), "OUT="+dir+"\n")
	require.NotContains(t, string(env), "HOME=")
	args, err := os.ReadFile(filepath.Join(dir, "args"))
	require.NoError(t, err)
	require.Equal(t, "one\ntwo words\n", string(args))
}

func TestRunUsesArgsZeroAsArgv0AndPathWhenArgsAreEmpty(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "cmdline")
	cmd := `tr '\0' ' ' < /proc/$$/cmdline > ` + out
	require.NoError(t, Run(context.Background(), []specs.Hook{{
		Path: "/bin/sh", Args: []string{"my-argv0", "-c", cmd},
	}}, nil, CreateRuntime))
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(got), "my-argv0 -c "), string(got))

	// With no args the kernel sees argv[0] == path.
	hook := script(t, dir, "noargs", `echo "$0" > `+out)
	require.NoError(t, Run(context.Background(), []specs.Hook{{Path: hook}}, nil, CreateRuntime))
	got, err = os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, hook+"\n", string(got))
}

func TestRunStopsAtTheFirstFailureNamingKindIndexPathStatusAndStderr(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	ok := script(t, dir, "ok", "true")
	bad := script(t, dir, "bad", "echo some output; echo 'first line' >&2; echo 'boom' >&2; exit 3")
	after := script(t, dir, "after", "touch "+marker)
	err := Run(context.Background(), []specs.Hook{{Path: ok}, {Path: bad}, {Path: after}}, nil, CreateContainer)
	require.EqualError(t, err, `createContainer hook #1 (`+bad+`): exit status 3, stderr: "first line\nboom"`)
	var he *Error
	require.True(t, errors.As(err, &he))
	require.Equal(t, "some output\n", he.Stdout)
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee))
	require.Equal(t, 3, ee.ExitCode())
	require.NoFileExists(t, marker, "a hook after the failing one ran")
}

func TestRunReportsAMissingBinary(t *testing.T) {
	err := Run(context.Background(), []specs.Hook{{Path: "/nonexistent/hook"}}, nil, Prestart)
	require.EqualError(t, err, "prestart hook #0 (/nonexistent/hook): fork/exec /nonexistent/hook: no such file or directory")
	err = Run(context.Background(), []specs.Hook{{Path: "relative/hook"}}, nil, Prestart)
	require.EqualError(t, err, `prestart hook #0 (relative/hook): path "relative/hook" is not absolute`)
	err = Run(context.Background(), []specs.Hook{{Path: "/bin/true", Timeout: intp(0)}}, nil, Prestart)
	require.EqualError(t, err, `prestart hook #0 (/bin/true): timeout 0 must be greater than zero`)
}

// pidGone polls until pid no longer runs (gone or a zombie); it checks
// at least once, so a zero deadline asks "is it gone now?".
func pidGone(pid int, deadline time.Duration) bool {
	end := time.Now().Add(deadline)
	for {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true
		}
		// Field 3 is the state; it follows the ")" closing comm.
		if i := strings.LastIndexByte(string(st), ')'); i > 0 && strings.HasPrefix(string(st[i+1:]), " Z") {
			return true
		}
		if !time.Now().Before(end) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return pid
}

func TestRunKillsAHookThatTimesOutAndWhatItForked(t *testing.T) {
	dir := t.TempDir()
	hook := script(t, dir, "slow", `sleep 60 & echo $! > "$1/child"; echo $$ > "$1/pid"; wait`)
	start := time.Now()
	err := Run(context.Background(), []specs.Hook{{Path: hook, Args: []string{hook, dir}, Timeout: intp(1)}}, nil, Prestart)
	elapsed := time.Since(start)
	require.EqualError(t, err, "prestart hook #0 ("+hook+"): timed out after 1s")
	require.ErrorIs(t, err, ErrTimeout)
	require.Less(t, elapsed, 1*time.Second+waitDelay+time.Second, "Run did not return promptly after the timeout")
	require.GreaterOrEqual(t, elapsed, time.Second)
	require.True(t, pidGone(readPid(t, filepath.Join(dir, "pid")), 5*time.Second), "hook still runs")
	require.True(t, pidGone(readPid(t, filepath.Join(dir, "child")), 5*time.Second), "hook's child still runs")
}

func TestRunStopsWhenTheContextIsCancelled(t *testing.T) {
	dir := t.TempDir()
	hook := script(t, dir, "slow", `echo $$ > "$1/pid"; exec sleep 60`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []specs.Hook{{Path: hook, Args: []string{hook, dir}}}, nil, Poststart) }()
	// Poll until the hook is running, then cancel.
	pidFile := filepath.Join(dir, "pid")
	require.Eventually(t, func() bool { b, _ := os.ReadFile(pidFile); return len(b) > 0 && b[len(b)-1] == '\n' },
		5*time.Second, 10*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.EqualError(t, err, "poststart hook #0 ("+hook+"): context canceled")
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	require.True(t, pidGone(readPid(t, pidFile), 5*time.Second))
}

func TestRunAllRunsEveryHookAndLogsEachFailure(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	log, logs := logtest.New(slog.LevelWarn)
	err := RunAll(context.Background(), []specs.Hook{
		{Path: "/bin/false"},
		{Path: script(t, dir, "mark", "touch "+marker)},
		{Path: "/nonexistent"},
	}, nil, Poststop, log)
	require.EqualError(t, err, "poststop hook #0 (/bin/false): exit status 1\n"+
		"poststop hook #2 (/nonexistent): fork/exec /nonexistent: no such file or directory")
	require.FileExists(t, marker)
	require.Equal(t, 2, len(logs.Entries()))
	require.Equal(t, "/bin/false", logs.Entries()[0].Attrs["path"])
	require.NoError(t, RunAll(context.Background(), nil, nil, Poststop, nil))
}

func TestRunDoesNotWaitForADaemonThatKeepsTheHooksStdout(t *testing.T) {
	dir := t.TempDir()
	hook := script(t, dir, "daemonise", `sleep 60 & echo $! > "$1/daemon"; exit 0`)
	start := time.Now()
	err := Run(context.Background(), []specs.Hook{{Path: hook, Args: []string{hook, dir}}}, nil, CreateRuntime)
	require.NoError(t, err)
	require.Less(t, time.Since(start), waitDelay+3*time.Second)
	pid := readPid(t, filepath.Join(dir, "daemon"))
	require.False(t, pidGone(pid, 0), "the daemon must be left alone")
	p, err := os.FindProcess(pid)
	require.NoError(t, err)
	require.NoError(t, p.Kill())
}
