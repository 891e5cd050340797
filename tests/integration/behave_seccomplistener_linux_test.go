package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSeccompListenerPathWithoutNotifyRuleWarns: runc's behaviour (the
// state goes to the agent only with a SCMP_ACT_NOTIFY listener, as
// runtime-spec says) with a warning naming the path, so an agent waiting
// there is explained; the container runs.
func TestSeccompListenerPathWithoutNotifyRuleWarns(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("true")
	sock := filepath.Join(t.TempDir(), "agent.sock")
	spec.Linux.Seccomp = oldProfile(t, "rseq")
	spec.Linux.Seccomp.ListenerPath = sock
	b := newBundle(t, spec)
	id := "listener-nonotify"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "%s", res)
	require.Contains(t, res.stderr, "listenerPath", "%s", res)
	require.True(t, strings.Contains(res.stderr, "SCMP_ACT_NOTIFY"), "%s", res)
	_, err := os.Stat(sock)
	require.True(t, os.IsNotExist(err))
}
