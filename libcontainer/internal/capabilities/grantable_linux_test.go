package capabilities

import (
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcontainer/internal/logtest"
)

func TestDropUngrantableFollowsTheKernelRules(t *testing.T) {
	const (
		chown  = capability.CAP_CHOWN
		kill   = capability.CAP_KILL
		sysRes = capability.CAP_SYS_RESOURCE
	)
	bit := func(cps ...capability.Cap) uint64 {
		var m uint64
		for _, c := range cps {
			m |= 1 << uint(c)
		}
		return m
	}
	all := []capability.Cap{chown, kill, sysRes}
	tests := []struct {
		name                string
		bounding, permitted uint64
		want                Caps
		dropped             []string
	}{
		{
			name: "everything_grantable", bounding: bit(all...), permitted: bit(all...),
			want: Caps{Bounding: all, Inheritable: all, Permitted: all, Effective: all, Ambient: all},
		},
		{
			name: "not_in_the_bounding_set_nor_permitted", bounding: bit(chown, kill), permitted: bit(chown, kill),
			want: Caps{
				Bounding: []capability.Cap{chown, kill}, Inheritable: []capability.Cap{chown, kill},
				Permitted: []capability.Cap{chown, kill}, Effective: []capability.Cap{chown, kill}, Ambient: []capability.Cap{chown, kill},
			},
			dropped: []string{"CAP_SYS_RESOURCE"},
		},
		{
			// Bounding and inheritable only need the bounding set; the
			// others need the thread's own permitted set.
			name: "bounded_but_not_permitted", bounding: bit(all...), permitted: bit(chown),
			want: Caps{
				Bounding: all, Inheritable: all,
				Permitted: []capability.Cap{chown}, Effective: []capability.Cap{chown}, Ambient: []capability.Cap{chown},
			},
			dropped: []string{"CAP_KILL", "CAP_SYS_RESOURCE"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Caps{
				Bounding: append([]capability.Cap{}, all...), Inheritable: append([]capability.Cap{}, all...),
				Permitted: append([]capability.Cap{}, all...), Effective: append([]capability.Cap{}, all...),
				Ambient: append([]capability.Cap{}, all...),
			}
			dropped := c.dropUngrantable(tc.bounding, tc.permitted)
			require.Equal(t, tc.dropped, dropped)
			require.Equal(t, tc.want.Bounding, c.Bounding, "bounding")
			require.Equal(t, tc.want.Inheritable, c.Inheritable, "inheritable")
			require.Equal(t, tc.want.Permitted, c.Permitted, "permitted")
			require.Equal(t, tc.want.Effective, c.Effective, "effective")
			require.Equal(t, tc.want.Ambient, c.Ambient, "ambient")
		})
	}
}

// statusMask reads a capability mask (CapBnd, CapPrm) of this process.
func statusMask(t *testing.T, key string) uint64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			require.NoError(t, err)
			return m
		}
	}
	t.Fatalf("no %s in /proc/self/status", key)
	return 0
}

// TestParseLeavesOutWhatTheCallerCannotGrant asks for every capability
// the kernel has; Parse must keep exactly those in this process's bounding
// and permitted sets and warn about the rest (a sandbox without
// CAP_SYS_RESOURCE, say), not fail.
func TestParseLeavesOutWhatTheCallerCannotGrant(t *testing.T) {
	last, err := capability.LastCap()
	require.NoError(t, err)
	var names []string
	for cp := capability.Cap(0); cp <= last; cp++ {
		names = append(names, Name(cp))
	}
	bnd, prm := statusMask(t, "CapBnd"), statusMask(t, "CapPrm")
	var wantDropped []string
	for cp := capability.Cap(0); cp <= last; cp++ {
		if bnd&prm&(1<<uint(cp)) == 0 {
			wantDropped = append(wantDropped, Name(cp))
		}
	}
	log, logs := logtest.New(slog.LevelWarn)
	c, err := Parse(&specs.LinuxCapabilities{Bounding: names, Effective: names, Permitted: names, Inheritable: names, Ambient: names}, log)
	require.NoError(t, err)
	if len(wantDropped) == 0 {
		require.Empty(t, c.Ungrantable)
		t.Log("this process has every capability: only the unit table above exercises the drop")
		return
	}
	require.ElementsMatch(t, wantDropped, c.Ungrantable)
	require.Equal(t, bnd&prm, Mask(c.Permitted)&Mask(c.Bounding))
	require.Zero(t, Mask(c.Permitted)&^prm, "permitted beyond this process's own")
	require.Zero(t, Mask(c.Bounding)&^bnd, "bounding beyond this process's own")
	warned := false
	for _, e := range logs.Entries() {
		if strings.Contains(e.Msg, "cannot be granted") {
			warned = true
			require.ElementsMatch(t, wantDropped, e.Attrs["capabilities"], "the warning names the capabilities")
		}
	}
	require.True(t, warned, "no warning in %v", logs.Entries())
}
