package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fdFiles opens one file per content, to hand to the runtime as fd 3, 4, ...
func fdFiles(t *testing.T, contents ...string) []*os.File {
	t.Helper()
	dir := t.TempDir()
	var files []*os.File
	for i, c := range contents {
		p := filepath.Join(dir, "fd"+itoa(3+i))
		require.NoError(t, os.WriteFile(p, []byte(c), 0o644))
		f, err := os.Open(p)
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		files = append(files, f)
	}
	return files
}

// runCmd runs cmd with stdout and stderr in files (which the container may
// inherit) and returns the result once cmd has exited.
func runCmd(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	require.NoError(t, err)
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	require.NoError(t, err)
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	return result{stdout: readFile(t, stdout.Name()), stderr: readFile(t, stderr.Name()), code: exitCode(err)}
}

// preserveScript prints what the container got: the socket-activation
// variables, which fds from 3 up are open (checked by the shell itself,
// before any command substitution opens a pipe) and what they hold.
const preserveScript = `echo "env=$LISTEN_FDS,$LISTEN_PID"; open=; for fd in 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$fd ] && open="$open $fd"; done; echo "open=$open"; for fd in $open; do echo "fd$fd=$(cat /proc/$$/fd/$fd)"; done`

func TestPreserveFDsReachTheContainer(t *testing.T) {
	r := newRuntime(t)
	tests := []struct {
		name string
		// listen runs the runtime with LISTEN_FDS=1 and LISTEN_PID set
		// to its pid; wrongPid sets LISTEN_PID to another process.
		listen, wrongPid bool
		args             []string
		want             string
	}{
		{name: "run_preserve_1", args: []string{"run", "--preserve-fds", "1"},
			want: "env=,\nopen= 3\nfd3=three\n"},
		{name: "run_preserve_2", args: []string{"run", "--preserve-fds", "2"},
			want: "env=,\nopen= 3 4\nfd3=three\nfd4=four\n"},
		{name: "run_preserve_0_passes_none", args: []string{"run"},
			want: "env=,\nopen=\n"},
		{name: "run_listen_fds_adds_to_preserve", listen: true, args: []string{"run", "--preserve-fds", "1"},
			want: "env=1,1\nopen= 3 4\nfd3=three\nfd4=four\n"},
		{name: "run_listen_fds_alone", listen: true, args: []string{"run"},
			want: "env=1,1\nopen= 3\nfd3=three\n"},
		{name: "run_listen_fds_for_another_pid_is_ignored", listen: true, wrongPid: true, args: []string{"run"},
			want: "env=,\nopen=\n"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBundle(t, baseSpec("sh", "-c", preserveScript))
			id := "pf" + string(rune('a'+i))
			r.deleteOnCleanup(t, id)
			args := append([]string{r.bin, "--root", r.root}, tc.args...)
			args = append(args, "--bundle", b.dir, id)
			ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
			defer cancel()
			var cmd *exec.Cmd
			switch {
			case tc.wrongPid:
				cmd = exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", `export LISTEN_PID=1 LISTEN_FDS=1; exec "$@"`, "sh"}, args...)...)
			case tc.listen:
				// $$ is the shell's pid, which exec hands to the runtime.
				cmd = exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", `export LISTEN_PID=$$ LISTEN_FDS=1; exec "$@"`, "sh"}, args...)...)
			default:
				cmd = exec.CommandContext(ctx, args[0], args[1:]...)
			}
			cmd.ExtraFiles = fdFiles(t, "three", "four", "five")
			res := runCmd(t, cmd)
			require.Equal(t, 0, res.code, res.String())
			require.Equal(t, tc.want, res.stdout, res.String())
		})
	}
}

func TestPreserveFDsCreateHandsTheFdsOverUntilStart(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, baseSpec("sh", "-c", preserveScript))
	r.deleteOnCleanup(t, "pfc")
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := r.command(ctx, "create", "--preserve-fds", "1", "--bundle", b.dir, "pfc")
	cmd.ExtraFiles = fdFiles(t, "three", "four")
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	require.NoError(t, err)
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	require.NoError(t, err)
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	require.NoError(t, cmd.Run(), "create: %s", readFile(t, stderr.Name()))
	// create has exited and closed its copies: the init holds fd 3.
	r.ok(t, "start", "pfc")
	r.waitStatus(t, "pfc", "stopped")
	require.Equal(t, "env=,\nopen= 3\nfd3=three\n", readFile(t, stdout.Name()))
}

func TestPreserveFDsThatAreNotOpenFailWithOneLine(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	spec := baseSpec("true")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, "pfbad")
	// Only fd 3 is passed; fds 4 and 5 are not the caller's. The runtime
	// may well have files of its own at those numbers (Go's netpoller,
	// sockets): they must be refused, never handed to the container (runc
	// 1.1.5 only stats the numbers, passes its own fds and fails this).
	res := r.runWithFiles(t, fdFiles(t, "three"), "create", "--preserve-fds", "3", "--bundle", b.dir, "pfbad")
	requireOneLineError(t, res, "preserve")
	require.True(t, strings.Contains(res.stderr, "4"), res.String())
	r.requireNothingLeft(t, snap, "pfbad", cg)
}
