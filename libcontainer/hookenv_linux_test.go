package libcontainer

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestStartContainerHooksInheritTheProcessEnvOnlyWithoutTheirOwn(t *testing.T) {
	proc := &specs.Process{Env: []string{"PATH=/bin", "FOO=process"}}
	in := []specs.Hook{
		{Path: "/bin/a"},
		{Path: "/bin/b", Env: []string{"FOO=hook"}},
		{Path: "/bin/c", Env: []string{}},
	}
	out := startContainerHooks(in, proc)
	require.Equal(t, proc.Env, out[0].Env, "no env: the process's")
	require.Equal(t, []string{"FOO=hook"}, out[1].Env, "its own env is kept")
	require.Equal(t, []string{}, out[2].Env, "an explicitly empty env stays empty")
	require.Nil(t, in[0].Env, "the config's hooks are not modified")
	require.Equal(t, in, startContainerHooks(in, nil))
}
