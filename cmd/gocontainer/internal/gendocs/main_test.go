package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGendocsWritesAManPagePerCommandAndThreeCompletions(t *testing.T) {
	man, comp := t.TempDir(), t.TempDir()
	require.NoError(t, run(man, comp, "9.9.9"))
	for _, page := range []string{"gocontainer.8", "gocontainer-create.8", "gocontainer-exec.8", "gocontainer-features.8", "gocontainer-completion.8"} {
		b, err := os.ReadFile(filepath.Join(man, page))
		require.NoError(t, err)
		require.Contains(t, string(b), `.TH "GOCONTAINER" "8"`, page)
		require.Contains(t, string(b), "gocontainer 9.9.9", page)
	}
	b, err := os.ReadFile(filepath.Join(man, "gocontainer-exec.8"))
	require.NoError(t, err)
	require.Contains(t, string(b), `\fB--pidfd-socket\fP`, "flags are documented")
	require.Contains(t, string(b), "<container-id>", "placeholders survive markdown")
	for name, want := range map[string]string{"gocontainer.bash": "__start_gocontainer", "_gocontainer": "#compdef gocontainer", "gocontainer.fish": "complete -c gocontainer"} {
		b, err := os.ReadFile(filepath.Join(comp, name))
		require.NoError(t, err)
		require.Contains(t, string(b), want, name)
	}
}
