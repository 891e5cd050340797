package libcontainer

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// The features document must list what the runtime does and nothing it
// refuses.
func TestFeaturesMatchWhatTheRuntimeImplements(t *testing.T) {
	f := Features()
	require.Equal(t, specs.Version, f.OCIVersionMax)
	require.ElementsMatch(t, []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}, f.Linux.Namespaces)
	require.Contains(t, f.Linux.Capabilities, "CAP_SYS_ADMIN")
	require.Contains(t, f.MountOptions, "rro")
	require.Contains(t, f.MountOptions, "tmpcopyup")
	require.Contains(t, f.MountOptions, "idmap")
	require.Contains(t, f.MountOptions, "ridmap")
	require.Contains(t, f.MountOptions, "rnostrictatime")
	require.Contains(t, f.Linux.Seccomp.Actions, string(specs.ActErrno))
	require.Contains(t, f.Linux.Seccomp.Actions, string(specs.ActNotify), "notify is implemented (listenerPath)")
	require.True(t, *f.Linux.Apparmor.Enabled)
	require.True(t, *f.Linux.Selinux.Enabled)
	require.True(t, *f.Linux.IntelRdt.Enabled)
	require.True(t, *f.Linux.IntelRdt.Monitoring)
	require.True(t, *f.Linux.MountExtensions.IDMap.Enabled)
	require.Len(t, f.Hooks, 6)
}
