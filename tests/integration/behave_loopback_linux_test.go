package integration

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoopbackIsUpInANewNetworkNamespace(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("sh", "-c", `ip -o link show lo; ip -o addr show lo`)
	b := newBundle(t, spec)
	id := "loup"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "%s", res)
	require.Regexp(t, `<[^>]*\bUP\b[^>]*>`, res.stdout, "lo is not up\n%s", res)
	require.Contains(t, res.stdout, "inet 127.0.0.1/8", "%s", res)
}
