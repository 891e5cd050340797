package integration

import (
	"os"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestDevicesOutsideDevAndInNewDirectoriesAreCreated(t *testing.T) {
	r := newRuntime(t)
	mode := os.FileMode(0o640)
	uid, gid := uint32(1000), uint32(1000)
	spec := baseSpec("sh", "-c", "stat -c '%n %t:%T %a %u:%g' /dev/gc/sub/null /gcdev/null; echo y > /dev/gcbind/null && echo bind-ok")
	spec.Linux.Devices = []specs.LinuxDevice{
		{Path: "/dev/gc/sub/null", Type: "c", Major: 1, Minor: 3, FileMode: &mode, UID: &uid, GID: &gid},
		{Path: "/gcdev/null", Type: "c", Major: 1, Minor: 3},
	}
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/dev/gcbind/null", Type: "bind", Source: "/dev/null", Options: []string{"bind"}})
	b := newBundle(t, spec)
	id := "devdirs"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "%s", res)
	require.Contains(t, res.stdout, "/dev/gc/sub/null 1:3 640 1000:1000", "%s", res)
	require.Contains(t, res.stdout, "/gcdev/null 1:3", "%s", res)
	require.Contains(t, res.stdout, "bind-ok", "%s", res)
}
