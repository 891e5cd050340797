package integration

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCgroupRelMapsTheSystemdFormToTheScope checks the tests' own mapping
// of cgroupsPath to a cgroup directory (no runtime needed): unchanged for
// the cgroupfs driver, the scope below its slices for the systemd one.
func TestCgroupRelMapsTheSystemdFormToTheScope(t *testing.T) {
	t.Setenv("GOCONTAINER_TEST_SYSTEMD_CGROUP", "")
	require.Equal(t, "/gcit-1-2", cgroupRel("/gcit-1-2"))
	require.Equal(t, "system.slice:gcit:1-2", cgroupRel("system.slice:gcit:1-2"))
	cg := uniqueCgroup(t)
	require.True(t, strings.HasPrefix(cg, "/gcit-"), cg)

	t.Setenv("GOCONTAINER_TEST_SYSTEMD_CGROUP", "1")
	for in, want := range map[string]string{
		"system.slice:gcit:1-2": "/system.slice/gcit-1-2.scope",
		":crio:abc":             "/system.slice/crio-abc.scope",
		"machine.slice::abc":    "/machine.slice/abc.scope",
		"a-b.slice:p:n":         "/a.slice/a-b.slice/p-n.scope",
		"-.slice:p:n":           "/p-n.scope",
		"/gcit-escape-1":        "/gcit-escape-1",
	} {
		require.Equal(t, want, cgroupRel(in), "cgroupRel(%q)", in)
	}
	cg = uniqueCgroup(t)
	require.Regexp(t, `^system\.slice:gcit:\d+-\d+$`, cg)
	require.Regexp(t, `^/system\.slice/gcit-\d+-\d+\.scope$`, cgroupRel(cg))
}
