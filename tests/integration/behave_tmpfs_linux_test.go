package integration

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestTmpfsOnAnExistingDirectoryKeepsItsMode(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("stat", "-c", "%a", "/gcmode", "/gcnew")
	spec.Mounts = append(spec.Mounts,
		specs.Mount{Destination: "/gcmode", Type: "tmpfs", Source: "tmpfs"},
		specs.Mount{Destination: "/gcnew", Type: "tmpfs", Source: "tmpfs"})
	b := newBundle(t, spec)
	require.NoError(t, os.Mkdir(filepath.Join(b.rootfs, "gcmode"), 0o712))
	require.NoError(t, os.Chmod(filepath.Join(b.rootfs, "gcmode"), 0o712))
	id := "tmpfsmode"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "%s", res)
	require.Equal(t, "712\n1777\n", res.stdout, "%s", res)
}
