package integration

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersionIsRuncsShape(t *testing.T) {
	r := newRuntime(t)
	res := r.ok(t, "--version")
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.GreaterOrEqual(t, len(lines), 3, "%s", res)
	require.True(t, strings.HasPrefix(lines[0], "runc version "), "%s", res)
	require.True(t, strings.HasPrefix(lines[1], "commit: "), "%s", res)
	require.True(t, strings.HasPrefix(lines[2], "spec: "), "%s", res)
	res = r.run(t, "nosuchcommand", "-h")
	require.NotEqual(t, 0, res.code, "an unknown subcommand with -h\n%s", res)
}

func TestDebugLogLinesInRuncsFormats(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, baseSpec("true"))
	for _, tc := range []struct {
		name string
		args []string
		line string
	}{
		{"text", []string{"--debug"}, `(?m)^time="[^"]+" level=debug msg=`},
		{"json", []string{"--log-level", "debug", "--log-format", "json"}, `(?m)^\{.*"level":"debug".*"msg":`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "debuglog-" + tc.name
			r.deleteOnCleanup(t, id)
			res := r.run(t, append(tc.args, "run", "--bundle", b.dir, id)...)
			require.Equal(t, 0, res.code, "%s", res)
			require.Regexp(t, tc.line, res.stderr)
		})
	}
}
