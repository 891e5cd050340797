package integration

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDomainnameConflictingWithTheSysctlIsAnError(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	spec := baseSpec("true")
	spec.Domainname = "gc.example"
	spec.Linux.Sysctl = map[string]string{"kernel.domainname": "other.example"}
	b := newBundle(t, spec)
	id := "domconflict"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.NotEqual(t, 0, res.code, "%s", res)
	require.Contains(t, strings.ToLower(res.stderr), "domainname", "%s", res)
	r.requireNothingLeft(t, snap, id, "")
	// The same value twice is fine.
	spec.Linux.Sysctl["kernel.domainname"] = spec.Domainname
	b.write(t, spec)
	r.ok(t, "run", "--bundle", b.dir, id)
}
