package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// wazero lives only in the embedded runner (wasm.go): linking it into
// gocontainer would run its package initialisation, and crypto's, at every
// start of every native container too (about 0.5 ms each, measured with
// GODEBUG=inittrace=1).
func TestBinaryDoesNotLinkWazero(t *testing.T) {
	deps := goListDeps(t, ".")
	for _, d := range deps {
		require.False(t, strings.HasPrefix(d, "github.com/tetratelabs/wazero"), "%s is linked into gocontainer", d)
	}
	require.NotContains(t, deps, "github.com/gocontainer/gocontainer/libcontainer/wasm/runner")
	require.NotContains(t, deps, "crypto/rand", "startup cost")
	// The guard would pass vacuously if the runner did not need wazero.
	runner := goListDeps(t, "./wasmrunner")
	require.True(t, slices.Contains(runner, "github.com/tetratelabs/wazero"), "the runner links wazero")
	require.NotContains(t, runner, "github.com/gocontainer/gocontainer/libcontainer", "the runner must not carry the container init's C stage")
}

func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return strings.Fields(string(out))
}
