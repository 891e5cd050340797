package libcontainer

import (
	"log/slog"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// A config feature the runtime cannot honour must be refused, naming the
// field, never silently dropped.
func TestUnsupportedFeaturesAreRefusedNamingTheField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*specs.Spec)
		field string
	}{
		{"intel rdt", func(s *specs.Spec) { s.Linux.IntelRdt = &specs.LinuxIntelRdt{} }, "linux.intelRdt"},
		{"apparmor", func(s *specs.Spec) { s.Process.ApparmorProfile = "acme" }, "process.apparmorProfile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &specs.Spec{Process: &specs.Process{}, Linux: &specs.Linux{}}
			tc.edit(s)
			err := checkSupported(s, slog.New(slog.DiscardHandler))
			require.ErrorIs(t, err, ErrUnsupported)
			require.Contains(t, err.Error(), tc.field)
		})
	}
	require.NoError(t, checkSupported(&specs.Spec{Process: &specs.Process{}, Linux: &specs.Linux{}}, slog.New(slog.DiscardHandler)))
}
