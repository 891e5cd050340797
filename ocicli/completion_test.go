package ocicli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompletionScriptsCoverTheWholeTree(t *testing.T) {
	for _, tc := range []struct{ shell, want string }{
		{"bash", "__start_gocontainer"},
		{"zsh", "#compdef gocontainer"},
		{"fish", "complete -c gocontainer"},
	} {
		t.Run(tc.shell, func(t *testing.T) {
			r := runCLI(t, nil, "completion", tc.shell)
			require.Equal(t, 0, r.code, "%s", r.stderr)
			require.Contains(t, r.stdout, tc.want)
			require.Contains(t, r.stdout, "__complete", "the script asks the binary for completions")
		})
	}
	// The script asks `__complete`, which must know every subcommand and
	// their flags although `completion` was the command line's.
	r := runCLI(t, nil, "__complete", "")
	require.Equal(t, 0, r.code, "%s", r.stderr)
	for _, c := range []string{"create", "exec", "features", "checkpoint", "completion"} {
		require.Contains(t, "\n"+r.stdout, "\n"+c+"\t", "__complete offers %s", c)
	}
	r = runCLI(t, nil, "__complete", "exec", "--")
	require.Contains(t, r.stdout, "--pid-file")
}

func TestCompletionRefusesOtherShellsInOneLine(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "powershell"}, {"completion", "bash", "zsh"}} {
		r := runCLI(t, nil, args...)
		require.Equal(t, 1, r.code, "%v", args)
		require.Equal(t, 1, strings.Count(r.stderr, "\n"), "%q", r.stderr)
		require.Contains(t, r.stderr, "completion")
	}
}

// The bash script loads in bash and completes subcommands through the
// real binary's __complete (the test binary stands in for it).
func TestCompletionBashScriptParses(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	r := runCLI(t, nil, "completion", "bash")
	p := filepath.Join(t.TempDir(), "gocontainer.bash")
	require.NoError(t, os.WriteFile(p, []byte(r.stdout), 0o644))
	out, err := exec.Command(bash, "-c", "source "+p+" && complete -p gocontainer").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "__start_gocontainer")
}
