package rootfs

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// linux.mountLabel goes into the data of fresh mounts that take a
// context, never into proc, sysfs, mqueue or a bind.
func TestPrepareMountLabelOnlyWhereItApplies(t *testing.T) {
	f := newFixture(t)
	src := filepath.Join(f.dir, "data")
	require.NoError(t, os.Mkdir(src, 0o755))
	o := f.opts(specWith(devBind(t, f),
		specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"mode=1777"}},
		specs.Mount{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue"},
		specs.Mount{Destination: "/data", Type: "bind", Source: src, Options: []string{"rbind"}},
	))
	o.MountLabel = "system_u:object_r:container_file_t:s0:c1,c2"
	calls := prepareCalls(t, f, o)
	require.Equal(t, []string{
		`mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777,context=\"system_u:object_r:container_file_t:s0:c1,c2\"")`,
		`mount("mqueue", "/dev/mqueue", "mqueue", 0, "")`,
		`mount("` + src + `", "/data", "bind", MS_BIND|MS_REC, "")`,
	}, calls[3:])
}

// An idmapped mount is only ever made from the detached mount the runtime
// parent prepared; without one Prepare fails naming the mount.
func TestPrepareIDMappedMountWithoutDetachedMountFails(t *testing.T) {
	f := newFixture(t)
	src := filepath.Join(f.dir, "data")
	require.NoError(t, os.Mkdir(src, 0o755))
	o := f.opts(specWith(devBind(t, f),
		specs.Mount{Destination: "/data", Type: "bind", Source: src, Options: []string{"bind", "idmap"}}))
	err := Prepare(f.fake, o)
	require.ErrorContains(t, err, "mounts[1]: idmapped mount of "+src+" on /data: no detached mount")
}

func TestIDMapped(t *testing.T) {
	one := []specs.LinuxIDMapping{{Size: 1}}
	for _, tc := range []struct {
		m                        specs.Mount
		idmapped, tree, recurses bool
	}{
		{specs.Mount{Options: []string{"bind"}}, false, false, false},
		{specs.Mount{Options: []string{"rbind"}}, false, true, false},
		{specs.Mount{Options: []string{"bind", "idmap"}}, true, false, false},
		{specs.Mount{Options: []string{"rbind", "idmap"}}, true, true, false},
		{specs.Mount{Options: []string{"bind", "ridmap"}}, true, false, true},
		{specs.Mount{Options: []string{"rbind", "ridmap"}}, true, true, true},
		{specs.Mount{Options: []string{"bind"}, UIDMappings: one, GIDMappings: one}, true, false, false},
	} {
		a, b, c := IDMapped(&tc.m)
		require.Equal(t, []bool{tc.idmapped, tc.tree, tc.recurses}, []bool{a, b, c}, "%v", tc.m.Options)
	}
	s := &specs.Spec{Mounts: []specs.Mount{{Options: []string{"bind"}}, {Options: []string{"bind", "idmap"}}, {Options: []string{"ridmap"}}}}
	require.Equal(t, []int{1, 2}, IDMappedIndexes(s))
}
