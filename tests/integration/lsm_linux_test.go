package integration

import (
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func hostHasResctrl(t *testing.T) bool {
	t.Helper()
	for _, line := range strings.Split(readFile(t, "/proc/self/mountinfo"), "\n") {
		if _, fs, ok := strings.Cut(line, " - "); ok && strings.HasPrefix(fs, "resctrl ") {
			return true
		}
	}
	return false
}

func hostHasAppArmor() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && len(b) > 0 && b[0] == 'Y'
}

func hostHasSELinux() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/selinux", &st) == nil && uint32(st.Type) == 0xf97cff8c
}

// TestLSMAndRdtAbsentFromTheHostFailCreateCleanly: a profile or a resctrl
// group the host cannot provide fails create with one line naming the
// field, before anything exists.
func TestLSMAndRdtAbsentFromTheHostFailCreateCleanly(t *testing.T) {
	r := newRuntime(t)
	tests := []struct {
		name   string
		absent func() bool
		edit   func(*specs.Spec)
		want   []string
	}{
		{
			name:   "intel_rdt_without_resctrl",
			absent: func() bool { return !hostHasResctrl(t) },
			edit: func(s *specs.Spec) {
				s.Linux.IntelRdt = &specs.LinuxIntelRdt{L3CacheSchema: "L3:0=f", EnableMonitoring: true}
			},
			want: []string{"linux.intelRdt: resctrl filesystem is not mounted (Intel RDT / AMD QoS unavailable on this host)"},
		},
		{
			name:   "apparmor_profile_without_apparmor",
			absent: func() bool { return !hostHasAppArmor() },
			edit:   func(s *specs.Spec) { s.Process.ApparmorProfile = "acme" },
			want:   []string{`process.apparmorProfile "acme": AppArmor is not enabled on this host`},
		},
		{
			name:   "selinux_label_without_selinux",
			absent: func() bool { return !hostHasSELinux() },
			edit:   func(s *specs.Spec) { s.Process.SelinuxLabel = "system_u:system_r:container_t:s0:c1,c2" },
			want:   []string{`process.selinuxLabel "system_u:system_r:container_t:s0:c1,c2": SELinux is not enabled on this host`},
		},
		{
			name:   "selinux_mount_label_without_selinux",
			absent: func() bool { return !hostHasSELinux() },
			edit:   func(s *specs.Spec) { s.Linux.MountLabel = "system_u:object_r:container_file_t:s0:c1,c2" },
			want:   []string{`linux.mountLabel "system_u:object_r:container_file_t:s0:c1,c2": SELinux is not enabled on this host`},
		},
	}
	for _, command := range []string{"create", "run"} {
		for _, tc := range tests {
			t.Run(command+"/"+tc.name, func(t *testing.T) {
				if !tc.absent() {
					t.Skip("the host has the feature; this test is about hosts without it")
				}
				snap := takeSnapshot(t)
				spec := baseSpec("true")
				cg := uniqueCgroup(t)
				spec.Linux.CgroupsPath = cg
				tc.edit(spec)
				b := newBundle(t, spec)
				id := "lsm-absent"
				r.deleteOnCleanup(t, id)
				res := r.run(t, command, "--bundle", b.dir, id)
				requireOneLineError(t, res, tc.want...)
				r.requireNothingLeft(t, snap, id, cg)
			})
		}
	}
}
