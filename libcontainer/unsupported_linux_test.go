package libcontainer

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcontainer/internal/apparmor"
	"github.com/gocontainer/gocontainer/libcontainer/internal/intelrdt"
	"github.com/gocontainer/gocontainer/libcontainer/internal/selinux"
)

// A config feature the host cannot honour must be refused, naming the
// field, never silently dropped. This host has neither AppArmor nor
// resctrl; the cases skip where the host has them.
func TestUnsupportedFeaturesAreRefusedNamingTheField(t *testing.T) {
	if apparmor.Enabled() {
		t.Skip("AppArmor is enabled on this host")
	}
	if _, err := intelrdt.Root(); err == nil {
		t.Skip("resctrl is mounted on this host")
	}
	for _, tc := range []struct {
		name string
		edit func(*specs.Spec)
		want string
	}{
		{"intel rdt", func(s *specs.Spec) { s.Linux.IntelRdt = &specs.LinuxIntelRdt{L3CacheSchema: "L3:0=f"} },
			"linux.intelRdt: resctrl filesystem is not mounted (Intel RDT / AMD QoS unavailable on this host)"},
		{"apparmor", func(s *specs.Spec) { s.Process.ApparmorProfile = "acme" },
			`process.apparmorProfile "acme": AppArmor is not enabled on this host: not supported`},
		{"idmap without user namespace", func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Destination: "/d", Type: "bind", Source: "/tmp", Options: []string{"bind", "idmap"}}}
		}, "mounts[0]: idmap without uidMappings/gidMappings uses the container's user namespace mappings, but linux.namespaces has no user namespace"},
		{"idmap on tmpfs", func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Destination: "/d", Type: "tmpfs", Source: "tmpfs", Options: []string{"ridmap"}}}
		}, `mounts[0]: idmapped mounts are only supported for bind mounts (type "tmpfs", destination /d)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &specs.Spec{Process: &specs.Process{}, Linux: &specs.Linux{}}
			tc.edit(s)
			err := checkSupported(s, slog.New(slog.DiscardHandler))
			require.EqualError(t, err, tc.want)
			// The host lacks AppArmor and resctrl; idmap misuse is a bad config.
			require.Equal(t, !strings.HasPrefix(tc.name, "idmap"), errors.Is(err, ErrUnsupported), "errors.Is(err, ErrUnsupported)")
		})
	}
	require.NoError(t, checkSupported(&specs.Spec{Process: &specs.Process{}, Linux: &specs.Linux{}}, slog.New(slog.DiscardHandler)))
}

// Without SELinux, a label is refused naming its field (issue 4's rule,
// like AppArmor's; runc and crun ignore it), for create and for exec.
func TestSELinuxLabelsAreRefusedWithoutSELinux(t *testing.T) {
	if selinux.Enabled() {
		t.Skip("SELinux is enabled on this host")
	}
	log := slog.New(slog.DiscardHandler)
	err := checkSupported(&specs.Spec{Process: &specs.Process{SelinuxLabel: "a:b:c:s0"}, Linux: &specs.Linux{}}, log)
	require.ErrorIs(t, err, ErrUnsupported)
	require.EqualError(t, err, `process.selinuxLabel "a:b:c:s0": SELinux is not enabled on this host: not supported`)
	err = checkSupported(&specs.Spec{Process: &specs.Process{}, Linux: &specs.Linux{MountLabel: "x"}}, log)
	require.EqualError(t, err, `linux.mountLabel "x": SELinux is not enabled on this host: not supported`)
	require.ErrorIs(t, applyProcessLSM(&specs.Process{SelinuxLabel: "a:b:c:s0"}, log), ErrUnsupported)
	// What create never lets through stays harmless: no mount data, no
	// keyring label.
	s := &specs.Spec{Process: &specs.Process{SelinuxLabel: "not-a-context"}, Linux: &specs.Linux{MountLabel: "x"}}
	require.Empty(t, mountLabel(s))
	reset, err := setKeyringLabel(s.Process, log)
	require.NoError(t, err)
	reset()
}

// exec has no create-time check: applying a profile on a host without
// AppArmor fails with the same error.
func TestApplyProcessLSMRefusesAProfileWithoutAppArmor(t *testing.T) {
	if apparmor.Enabled() {
		t.Skip("AppArmor is enabled on this host")
	}
	err := applyProcessLSM(&specs.Process{ApparmorProfile: "acme"}, slog.New(slog.DiscardHandler))
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorIs(t, err, apparmor.ErrNotEnabled)
}
