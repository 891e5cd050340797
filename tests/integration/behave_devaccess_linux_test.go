package integration

import (
	"fmt"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestDeviceRuleAccessStringsRuncAccepts(t *testing.T) {
	r := newRuntime(t)
	for i, access := range []string{"mrw", "wr", "rwrw"} {
		t.Run(access, func(t *testing.T) {
			spec := baseSpec("sh", "-c", "echo x > /dev/null && echo ok")
			spec.Linux.Resources = &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
				{Allow: false, Access: "rwm"},
				{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: access},
			}}
			b := newBundle(t, spec)
			id := fmt.Sprintf("devaccess%d", i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, 0, res.code, "%s", res)
			require.Equal(t, "ok\n", res.stdout)
		})
	}
}
