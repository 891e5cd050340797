package ocicli

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSingleDashLongFlagsLikeRunc(t *testing.T) {
	r := runCLI(t, nil, "-root", "/r", "-debug", "-log-format=json", "create", "-bundle", "/b", "-pid-file=/p", "-no-pivot", "-preserve-fds", "2", "c1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, &CreateOptions{ID: "c1", Bundle: "/b", PidFile: "/p", NoPivot: true, PreserveFDs: 2}, r.h.calls[0].opts)
	require.Equal(t, "/r", r.h.calls[0].g.Root)
	require.True(t, r.h.calls[0].g.Debug)
	require.Equal(t, "json", r.h.calls[0].g.LogFormat)

	r = runCLI(t, nil, "kill", "-all", "c1", "-9")
	require.Equal(t, 1, r.code, "after the id nothing is a flag: -9 is the signal, and invalid")
	require.Contains(t, r.stderr, `invalid signal "-9"`)

	r = runCLI(t, nil, "exec", "-tty", "-e", "-debug", "-cwd", "/w", "c1", "sh", "-cwd", "-debug")
	require.Equal(t, 0, r.code, r.stderr)
	o := r.h.calls[0].opts.(*ExecOptions)
	require.True(t, o.TTY)
	require.Equal(t, []string{"-debug"}, o.Env, "a flag value is never rewritten")
	require.Equal(t, "/w", o.Cwd)
	require.Equal(t, []string{"sh", "-cwd", "-debug"}, o.Args, "the command's arguments are never rewritten")
	require.False(t, r.h.calls[0].g.Debug)

	// Shorthand clusters still work, with a value in the next argument.
	r = runCLI(t, nil, "exec", "-tdu", "5", "c1", "id")
	require.Equal(t, 0, r.code, r.stderr)
	o = r.h.calls[0].opts.(*ExecOptions)
	require.True(t, o.TTY)
	require.True(t, o.Detach)
	require.Equal(t, "5", o.User)

	r = runCLI(t, nil, "ps", "c1", "-format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, &PsOptions{ID: "c1", Format: "table", PsArgs: []string{"-format", "json"}}, r.h.calls[0].opts)

	r = runCLI(t, nil, "list", "-format", "json", "--", "x")
	require.Equal(t, 1, r.code, "after -- nothing is rewritten")
	require.Contains(t, r.stderr, `unexpected argument "x"`)

	r = runCLI(t, nil, "-version")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "runc version 1.2.3")

	r = runCLI(t, nil, "delete", "-help")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "--force")
	require.Empty(t, r.h.calls)
}

func TestNormalizeLongFlagsLeavesUnknownAlone(t *testing.T) {
	root, _ := newRoot(&recordingHandler{}, VersionInfo{}, nil)
	in := []string{"update", "-memory", "1g", "-r", "-", "-bogus", "c1"}
	require.Equal(t, []string{"update", "--memory", "1g", "-r", "-", "-bogus", "c1"}, normalizeLongFlags(root, in))
}

// FuzzCommandLine feeds arbitrary command lines (NUL-separated) through
// Execute: it must never panic, and a failure must be one line on stderr
// with exit code 1 and no handler call.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"create\x00-bundle\x00/b\x00c1", "exec\x00-tdu\x005\x00c1\x00id", "kill\x00c1\x00RTMIN+2",
		"update\x00--memory\x001g\x00c1", "-root\x00/r\x00list\x00-f\x00json", "ps\x00c1\x00-ef", "--\x00x",
		"exec\x00-e", "-", "checkpoint\x00--page-server\x00[::1]:80\x00c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		for _, a := range args {
			if a == "--help" || a == "-h" || strings.HasPrefix(a, "-help") || strings.HasPrefix(a, "--help") {
				return // help output is multi-line by design
			}
		}
		r := runCLI(t, nil, args...)
		if r.code == 0 {
			return
		}
		if r.code != 1 || len(r.h.calls) != 0 {
			t.Fatalf("args %q: code %d, calls %d", args, r.code, len(r.h.calls))
		}
		if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "gocontainer: ") {
			t.Fatalf("args %q: stderr not one line: %q", args, r.stderr)
		}
	})
}
