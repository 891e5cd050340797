package integration

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCwdThatDoesNotExistIsCreated(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("pwd")
	spec.Process.Cwd = "/gc/new/cwd"
	b := newBundle(t, spec)
	id := "mkcwd"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "%s", res)
	require.Equal(t, "/gc/new/cwd\n", res.stdout)
}
