package integration

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestUserNSBindSourceTheContainerCannotReach(t *testing.T) {
	r := newRuntime(t)
	private := filepath.Join(t.TempDir(), "private")
	require.NoError(t, os.Mkdir(private, 0o700))
	src := filepath.Join(private, "data")
	require.NoError(t, os.Mkdir(src, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "f"), []byte("reached"), 0o644))
	spec := baseSpec("cat", "/data/f")
	b := newBundle(t, spec)
	withUserNS(t, b, spec)
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/data", Type: "bind", Source: src, Options: []string{"rbind", "ro"}})
	b.write(t, spec)
	id := "usernsbind"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "%s", res)
	require.Equal(t, "reached", res.stdout)
}
