package integration

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestHooksGetRuncsCwdAndEnvironment(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("true")
	b := newBundle(t, spec)
	out := t.TempDir()
	script := filepath.Join(b.dir, "hook.sh")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\npwd > "+out+"/$1.cwd\nenv > "+out+"/$1.env\n"), 0o755))
	spec.Hooks = &specs.Hooks{
		CreateRuntime:   []specs.Hook{{Path: script, Args: []string{"hook.sh", "createRuntime"}}},
		CreateContainer: []specs.Hook{{Path: script, Args: []string{"hook.sh", "createContainer"}}},
		Poststop:        []specs.Hook{{Path: script, Args: []string{"hook.sh", "poststop"}}},
	}
	b.write(t, spec)
	id := "hookenv"
	r.deleteOnCleanup(t, id)
	cmd := r.command(t.Context(), "run", "--bundle", b.dir, id)
	cmd.Env = append(os.Environ(), "GCIT_HOOK_MARKER=yes")
	res := runCmd(t, cmd)
	require.Equal(t, 0, res.code, "%s", res)
	cwd := readFile(t, filepath.Join(out, "createContainer.cwd"))
	rootfsReal, err := filepath.EvalSymlinks(b.rootfs)
	require.NoError(t, err)
	require.Contains(t, []string{rootfsReal + "\n", b.rootfs + "\n"}, cwd, "createContainer hook cwd")
	for _, kind := range []string{"createRuntime", "poststop"} {
		require.Contains(t, readFile(t, filepath.Join(out, kind+".env")), "GCIT_HOOK_MARKER=yes", "%s hook environment", kind)
	}
}
