package capabilities

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcontainer/internal/logtest"
)

func TestCheckNamesTheSetOfAnUnknownCapability(t *testing.T) {
	tests := []struct {
		name string
		caps *specs.LinuxCapabilities
		want string
	}{
		{"nil", nil, ""},
		{"empty", &specs.LinuxCapabilities{}, ""},
		{"all valid", &specs.LinuxCapabilities{
			Bounding: []string{"CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"}, Effective: []string{"CAP_KILL"},
			Inheritable: []string{"CAP_SYS_ADMIN"}, Permitted: []string{"CAP_NET_RAW"}, Ambient: []string{"CAP_BPF"},
		}, ""},
		{"bounding", &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", "CAP_FOO"}}, `bounding: unknown capability "CAP_FOO"`},
		{"effective", &specs.LinuxCapabilities{Effective: []string{"chown"}}, `effective: unknown capability "chown"`},
		{"inheritable lower case", &specs.LinuxCapabilities{Inheritable: []string{"cap_chown"}}, `inheritable: unknown capability "cap_chown"`},
		{"permitted empty", &specs.LinuxCapabilities{Permitted: []string{""}}, `permitted: unknown capability ""`},
		{"ambient", &specs.LinuxCapabilities{Ambient: []string{"CAP_KILL "}}, `ambient: unknown capability "CAP_KILL "`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.caps)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.want)
			var ne *NameError
			require.True(t, errors.As(err, &ne))
		})
	}
}

func TestLookupKnowsEveryCapabilityNumber(t *testing.T) {
	c, ok := Lookup("CAP_SYS_ADMIN")
	require.True(t, ok)
	require.Equal(t, capability.CAP_SYS_ADMIN, c)
	c, ok = Lookup("CAP_CHECKPOINT_RESTORE")
	require.True(t, ok)
	require.Equal(t, capability.Cap(40), c)
	require.Equal(t, "CAP_NET_BIND_SERVICE", Name(capability.CAP_NET_BIND_SERVICE))
	_, ok = Lookup("CAP_NOPE")
	require.False(t, ok)
}

func TestParseIgnoresCapabilitiesNewerThanTheKernelWithAWarning(t *testing.T) {
	log, logs := logtest.New(slog.LevelWarn)
	c, err := parse(&specs.LinuxCapabilities{
		Bounding:  []string{"CAP_CHOWN", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"},
		Effective: []string{"CAP_PERFMON", "CAP_KILL"},
		Ambient:   []string{"CAP_BPF"},
	}, capability.CAP_AUDIT_READ /* 37: a 5.7-era kernel */, log)
	require.NoError(t, err)
	require.Equal(t, []capability.Cap{capability.CAP_CHOWN}, c.Bounding)
	require.Equal(t, []capability.Cap{capability.CAP_KILL}, c.Effective)
	require.Empty(t, c.Ambient)
	require.Equal(t, []string{"CAP_BPF", "CAP_CHECKPOINT_RESTORE", "CAP_PERFMON"}, c.Ignored)
	require.Equal(t, 1, len(logs.Entries()))
	require.Equal(t, []any{"CAP_BPF", "CAP_CHECKPOINT_RESTORE", "CAP_PERFMON"},
		logs.Entries()[0].Attrs["capabilities"])
}

func TestParseIgnoresUnknownNamesWithAWarning(t *testing.T) {
	log, logs := logtest.New(slog.LevelWarn)
	c, err := parse(&specs.LinuxCapabilities{Ambient: []string{"CAP_KILL", "CAP_FOO"}}, capability.CAP_AUDIT_READ, log)
	require.NoError(t, err)
	require.Equal(t, []capability.Cap{capability.CAP_KILL}, c.Ambient)
	require.Equal(t, []string{"CAP_FOO"}, c.Ignored)
	require.Equal(t, 1, len(logs.Entries()))
}

func TestParseNilMeansNoCapabilities(t *testing.T) {
	c, err := Parse(nil, nil)
	require.NoError(t, err)
	require.Empty(t, c.Bounding)
	require.Empty(t, c.Permitted)
	require.Zero(t, Mask(c.Effective))
}

func TestMask(t *testing.T) {
	require.Equal(t, uint64(1<<0|1<<5|1<<40), Mask([]capability.Cap{0, 5, 40}))
}
