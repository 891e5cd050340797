package libcontainer

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func i64(v int64) *int64 { return &v }

func TestCgroupDeviceRulesKeepSpecOrderThenGivenDevicesThenDefaults(t *testing.T) {
	l := &specs.Linux{
		Resources: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: i64(10), Minor: i64(229), Access: "rw"},
		}},
		Devices: []specs.LinuxDevice{
			{Path: "/dev/fuse", Type: "u", Major: 10, Minor: 229},
			{Path: "/dev/fifo", Type: "p"},
		},
	}
	rules := cgroupDeviceRules(l)
	require.Equal(t, l.Resources.Devices, rules[:2], "the spec's rules come first, unchanged")
	require.Equal(t, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(10), Minor: i64(229), Access: "rwm"}, rules[2],
		"a linux.devices entry is allowed; type u is a char device")
	require.Equal(t, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Access: "m"}, rules[3], "mknod of any char device (a FIFO gets no rule)")
	require.Contains(t, rules, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"}, "/dev/null")
	require.Contains(t, rules, specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i64(136), Access: "rwm"}, "/dev/pts/*")
	for _, r := range rules[2:] {
		require.True(t, r.Allow, "only allow rules follow the spec's: %+v", r)
	}

	noRes := cgroupResources(&specs.Spec{Linux: &specs.Linux{}})
	require.Equal(t, cgroupDeviceRules(&specs.Linux{}), noRes.Devices, "a spec without resources still gets the defaults")
	require.Nil(t, cgroupResources(&specs.Spec{}))
}
