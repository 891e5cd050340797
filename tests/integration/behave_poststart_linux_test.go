package integration

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestFailingPoststartHookFailsStart(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	spec := baseSpec("sleep", "100")
	spec.Hooks = &specs.Hooks{Poststart: []specs.Hook{{Path: "/bin/false"}}}
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	id := "poststartfail"
	r.deleteOnCleanup(t, id)
	r.ok(t, "create", "--bundle", b.dir, id)
	res := r.run(t, "start", id)
	require.NotEqual(t, 0, res.code, "start with a failing poststart hook succeeded\n%s", res)
	require.Contains(t, res.stderr, "poststart", "%s", res)
	st := r.waitStatus(t, id, "stopped")
	require.Equal(t, "stopped", st.Status)
	r.ok(t, "delete", id)
	r.requireNothingLeft(t, snap, id, cg)
}
