package integration

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUnknownCapabilityIsIgnoredWithAWarning(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("sh", "-c", "grep CapBnd /proc/self/status")
	for _, set := range []*[]string{&spec.Process.Capabilities.Bounding, &spec.Process.Capabilities.Effective, &spec.Process.Capabilities.Permitted} {
		*set = append(*set, "CAP_GC_FROM_THE_FUTURE")
	}
	b := newBundle(t, spec)
	id := "unkcap"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "%s", res)
	// CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29).
	require.Contains(t, res.stdout, "0000000020000420", "%s", res)
	require.Contains(t, res.stderr, "CAP_GC_FROM_THE_FUTURE", "a warning names it\n%s", res)
}
