package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The container's user namespace in these tests: root is host uid 100000.
var idmapContainerMaps = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}

// withUserNS gives spec a user namespace (0 -> host 100000) and lets host
// uid 100000 walk the bundle's temp directories.
func withUserNS(t *testing.T, b *bundle, s *specs.Spec) {
	t.Helper()
	require.NoError(t, os.Chmod(b.dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(b.dir), 0o755))
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings, s.Linux.GIDMappings = idmapContainerMaps, idmapContainerMaps
	// The container's root may not create the mount point in a rootfs
	// that host root owns.
	require.NoError(t, os.MkdirAll(filepath.Join(b.rootfs, "data"), 0o755))
}

// hostDir makes a world-traversable directory owned by uid:gid, holding a
// file f owned by fileUID:fileUID.
func hostDir(t *testing.T, uid, fileUID int) string {
	t.Helper()
	parent := t.TempDir()
	require.NoError(t, os.Chmod(parent, 0o755))
	dir := filepath.Join(parent, "data")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.Chown(dir, uid, uid))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644))
	require.NoError(t, os.Chown(filepath.Join(dir, "f"), fileUID, fileUID))
	return dir
}

func requireIdmapSupported(t *testing.T, dir string) {
	t.Helper()
	var st unix.Statfs_t
	require.NoError(t, unix.Statfs(dir, &st))
	// ext4, xfs, btrfs carry FS_ALLOW_IDMAP since Linux 5.12-5.15, tmpfs
	// since 6.3 (hack/vm boots Debian 12's 6.1).
	switch st.Type {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC:
	case unix.TMPFS_MAGIC:
		if kernelBefore(t, 6, 3) {
			t.Skipf("%s is on tmpfs, which has no idmapped mounts before Linux 6.3", dir)
		}
	default:
		t.Skipf("the filesystem of %s (magic %#x) is not known to support idmapped mounts", dir, st.Type)
	}
}

func ownerOf(t *testing.T, path string) (uid, gid uint32) {
	t.Helper()
	var st unix.Stat_t
	require.NoError(t, unix.Lstat(path, &st))
	return st.Uid, st.Gid
}

// TestIdmapMountShowsTheMappedOwner: inside the container, files of an
// idmapped bind mount show their owner through the mount's mapping, and a
// file the container's root creates lands on disk with the id the mapping
// gives back. A mount mapping line "containerID hostID size" is a user
// namespace mapping (runtime-spec config.md, runc): on-disk id containerID
// appears as host id hostID, which the container's own namespace then
// maps as usual. The plain bind shows the unmapped "nobody" as a control.
func TestIdmapMountShowsTheMappedOwner(t *testing.T) {
	r := newRuntime(t)
	script := "stat -c '%u:%g' /data /data/f; touch /data/new && echo created"
	tests := []struct {
		name            string
		userns          bool
		dirUID, fileUID int
		options         []string
		uid, gid        []specs.LinuxIDMapping
		want            string
		// newUID is the on-disk owner of /data/new, -1 if it must fail.
		newUID int
	}{
		{
			// On-disk 1000 appears as host 100000, the container's root.
			name: "mount_mappings", userns: true, dirUID: 1000, fileUID: 1000,
			options: []string{"bind", "idmap"},
			uid:     []specs.LinuxIDMapping{{ContainerID: 1000, HostID: 100000, Size: 1}},
			gid:     []specs.LinuxIDMapping{{ContainerID: 1000, HostID: 100000, Size: 1}},
			want:    "0:0\n0:0\ncreated\n", newUID: 1000,
		},
		{
			// idmap alone borrows the container's mappings: on-disk ids
			// read the same inside as on the host.
			name: "container_mappings", userns: true, dirUID: 0, fileUID: 1000,
			options: []string{"bind", "idmap"},
			want:    "0:0\n1000:1000\ncreated\n", newUID: 0,
		},
		{
			// Mappings on the mount, no user namespace at all (allowed by
			// runtime-spec and runc 1.2): on-disk 1000 is root inside.
			name: "mount_mappings_without_userns", dirUID: 1000, fileUID: 1000,
			options: []string{"bind", "ridmap"},
			uid:     []specs.LinuxIDMapping{{ContainerID: 1000, HostID: 0, Size: 1}},
			gid:     []specs.LinuxIDMapping{{ContainerID: 1000, HostID: 0, Size: 1}},
			want:    "0:0\n0:0\ncreated\n", newUID: 1000,
		},
		{
			// Control: no idmapping, host root is nobody in the container.
			name: "plain_bind_is_not_mapped", userns: true, dirUID: 0, fileUID: 0,
			options: []string{"bind"},
			want:    "65534:65534\n65534:65534\n", newUID: -1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			data := hostDir(t, tc.dirUID, tc.fileUID)
			requireIdmapSupported(t, data)
			spec := baseSpec("sh", "-c", script)
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			if tc.userns {
				withUserNS(t, b, spec)
			}
			spec.Mounts = append(spec.Mounts, specs.Mount{
				Destination: "/data", Type: "bind", Source: data, Options: tc.options,
				UIDMappings: tc.uid, GIDMappings: tc.gid,
			})
			b.write(t, spec)
			id := "idm-" + strings.ReplaceAll(tc.name, "_", "-")
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			if tc.newUID < 0 {
				require.NotEqual(t, 0, res.code, "touch must fail\n%s", res)
			} else {
				require.Equal(t, 0, res.code, "run\n%s", res)
			}
			require.Equal(t, tc.want, res.stdout, "%s", res)
			if tc.newUID >= 0 {
				uid, gid := ownerOf(t, filepath.Join(data, "new"))
				require.Equal(t, uint32(tc.newUID), uid, "host owner of the file created inside")
				require.Equal(t, uint32(tc.newUID), gid, "host group of the file created inside")
			} else {
				_, err := os.Lstat(filepath.Join(data, "new"))
				require.True(t, os.IsNotExist(err), "the file must not have been created")
			}
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}

// TestIdmapRecursiveReachesSubmounts: with rbind, "ridmap" idmaps the
// submounts of the source too (AT_RECURSIVE), "idmap" only its top mount,
// so the submount's files stay unmapped ("nobody") inside.
func TestIdmapRecursiveReachesSubmounts(t *testing.T) {
	r := newRuntime(t)
	m := []specs.LinuxIDMapping{{ContainerID: 1000, HostID: 100000, Size: 1}}
	for _, tc := range []struct {
		option string
		want   string
	}{
		{"ridmap", "0:0\n0:0\n0:0\n"},
		{"idmap", "0:0\n65534:65534\n65534:65534\n"},
	} {
		t.Run(tc.option, func(t *testing.T) {
			data := hostDir(t, 1000, 1000)
			requireIdmapSupported(t, data)
			// The submount: a bind of another directory owned by 1000 (a
			// bind works on every filesystem the top one does; tmpfs has no
			// idmapped mounts before Linux 6.3).
			sub := filepath.Join(data, "sub")
			require.NoError(t, os.Mkdir(sub, 0o755))
			other := hostDir(t, 1000, 1000)
			require.NoError(t, unix.Mount(other, sub, "", unix.MS_BIND, ""))
			t.Cleanup(func() { _ = unix.Unmount(sub, unix.MNT_DETACH) })
			require.NoError(t, os.WriteFile(filepath.Join(sub, "g"), nil, 0o644))
			require.NoError(t, os.Chown(filepath.Join(sub, "g"), 1000, 1000))
			snap := takeSnapshot(t)

			spec := baseSpec("stat", "-c", "%u:%g", "/data/f", "/data/sub", "/data/sub/g")
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			withUserNS(t, b, spec)
			spec.Mounts = append(spec.Mounts, specs.Mount{
				Destination: "/data", Type: "bind", Source: data, Options: []string{"rbind", tc.option},
				UIDMappings: m, GIDMappings: m,
			})
			b.write(t, spec)
			id := "idm-rec-" + tc.option
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, 0, res.code, "run\n%s", res)
			require.Equal(t, tc.want, res.stdout, "%s", res)
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}

// TestIdmapBadInputFailsWithOneLineAndLeavesNothing covers the rules of
// runtime-spec config.md for idmapped mounts and the kernel's refusal.
func TestIdmapBadInputFailsWithOneLineAndLeavesNothing(t *testing.T) {
	r := newRuntime(t)
	one := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1}}
	tests := []struct {
		name   string
		userns bool
		mount  func(data string) specs.Mount
		want   []string
	}{
		{
			name: "idmap_without_mappings_or_user_namespace",
			mount: func(data string) specs.Mount {
				return specs.Mount{Destination: "/data", Type: "bind", Source: data, Options: []string{"bind", "idmap"}}
			},
			want: []string{"mounts[2]", "no user namespace"},
		},
		{
			name: "overlapping_mappings", userns: true,
			mount: func(data string) specs.Mount {
				return specs.Mount{Destination: "/data", Type: "bind", Source: data, Options: []string{"bind", "idmap"},
					UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 10}, {ContainerID: 5, HostID: 2000, Size: 10}},
					GIDMappings: one}
			},
			want: []string{"mounts[2].uidMappings[1]", "overlaps"},
		},
		{
			name: "only_uid_mappings", userns: true,
			mount: func(data string) specs.Mount {
				return specs.Mount{Destination: "/data", Type: "bind", Source: data, Options: []string{"bind", "idmap"}, UIDMappings: one}
			},
			want: []string{"mounts[2]", "gidMappings"},
		},
		{
			name: "not_a_bind_mount", userns: true,
			mount: func(string) specs.Mount {
				return specs.Mount{Destination: "/data", Type: "tmpfs", Source: "tmpfs", Options: []string{"idmap"}}
			},
			want: []string{"mounts[2]", "only supported for bind mounts"},
		},
		{
			// procfs has no FS_ALLOW_IDMAP: mount_setattr says EINVAL.
			name: "filesystem_without_idmap_support", userns: true,
			mount: func(string) specs.Mount {
				return specs.Mount{Destination: "/data", Type: "bind", Source: "/proc/sys", Options: []string{"rbind", "idmap"}}
			},
			want: []string{"mounts[2]: filesystem of /proc/sys does not support idmapped mounts"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			data := hostDir(t, 0, 0)
			spec := baseSpec("true")
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			if tc.userns {
				withUserNS(t, b, spec)
			}
			spec.Mounts = append(spec.Mounts, tc.mount(data))
			b.write(t, spec)
			id := "idm-bad"
			r.deleteOnCleanup(t, id)
			res := r.run(t, "create", "--bundle", b.dir, id)
			requireOneLineError(t, res, tc.want...)
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}

// TestIdmapMountOfAFile: a single-file source is idmapped and moved onto a
// file destination.
func TestIdmapMountOfAFile(t *testing.T) {
	r := newRuntime(t)
	data := hostDir(t, 0, 1000)
	requireIdmapSupported(t, data)
	snap := takeSnapshot(t)
	spec := baseSpec("stat", "-c", "%u:%g %s", "/etc/idfile")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	withUserNS(t, b, spec)
	require.NoError(t, os.WriteFile(filepath.Join(b.rootfs, "etc", "idfile"), nil, 0o644))
	m := []specs.LinuxIDMapping{{ContainerID: 1000, HostID: 100000, Size: 1}}
	spec.Mounts = append(spec.Mounts, specs.Mount{
		Destination: "/etc/idfile", Type: "bind", Source: filepath.Join(data, "f"), Options: []string{"bind", "idmap"},
		UIDMappings: m, GIDMappings: m,
	})
	b.write(t, spec)
	id := "idm-file"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "run\n%s", res)
	// The host file holds "x": one byte, so the mount is the host file.
	require.Equal(t, "0:0 1\n", res.stdout)
	r.requireNothingLeft(t, snap, id, cg)
}
