package specconv

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// loadRunc reads a config.json written by "runc spec" (runc 1.1.5, on a
// cgroup v1 host, as root) and applies the differences ExampleFor
// documents, so that anything else that differs fails the comparison.
func loadRunc(t *testing.T, name string) *specs.Spec {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var s specs.Spec
	require.NoError(t, json.Unmarshal(data, &s))
	require.Equal(t, "runc", s.Hostname)
	require.Equal(t, "1.0.2-dev", s.Version)
	require.NotEmpty(t, s.Process.Capabilities.Ambient)
	s.Hostname = Hostname
	s.Version = specs.Version
	s.Process.Capabilities.Ambient = nil
	s.Linux.MaskedPaths = append(s.Linux.MaskedPaths, "/sys/devices/virtual/powercap")
	return &s
}

func TestExampleMatchesRuncSpec(t *testing.T) {
	require.Equal(t, loadRunc(t, "runc-1.1.5-spec.json"), ExampleFor(false))
}

func TestExampleCgroupNamespaceOnlyForUnifiedHosts(t *testing.T) {
	s := ExampleFor(true)
	ns := s.Linux.Namespaces
	require.Len(t, ns, 6)
	require.Equal(t, specs.CgroupNamespace, ns[len(ns)-1].Type)

	for _, n := range ExampleFor(false).Linux.Namespaces {
		require.NotEqual(t, specs.CgroupNamespace, n.Type)
	}

	// Example probes the host: it must agree with what statfs says.
	var st unix.Statfs_t
	require.NoError(t, unix.Statfs("/sys/fs/cgroup", &st))
	require.Equal(t, st.Type == unix.CGROUP2_SUPER_MAGIC, IsCgroup2UnifiedMode())
	require.Equal(t, ExampleFor(IsCgroup2UnifiedMode()), Example())
}

func TestExampleReturnsIndependentCopies(t *testing.T) {
	a, b := ExampleFor(false), ExampleFor(false)
	a.Process.Capabilities.Bounding[0] = "CAP_SYS_ADMIN"
	a.Mounts[2].Options[0] = "changed"
	require.Equal(t, "CAP_AUDIT_WRITE", b.Process.Capabilities.Bounding[0])
	require.Equal(t, "CAP_AUDIT_WRITE", a.Process.Capabilities.Effective[0], "capability sets must not share a backing array")
	require.Equal(t, "nosuid", b.Mounts[2].Options[0])
}

func TestToRootlessMatchesRuncSpecRootless(t *testing.T) {
	// The testdata was generated as root, so the mappings are 0 -> 0.
	s := ExampleFor(false)
	ToRootlessIDs(s, 0, 0)
	require.Equal(t, loadRunc(t, "runc-1.1.5-spec-rootless.json"), s)
}

func TestToRootlessUsesCallerIDs(t *testing.T) {
	s := ExampleFor(true)
	ToRootless(s)
	require.Equal(t, []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Geteuid()), Size: 1}}, s.Linux.UIDMappings)
	require.Equal(t, []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(os.Getegid()), Size: 1}}, s.Linux.GIDMappings)
	// The cgroup namespace stays; network goes; user is added once, last.
	var types []specs.LinuxNamespaceType
	for _, n := range s.Linux.Namespaces {
		types = append(types, n.Type)
	}
	require.Equal(t, []specs.LinuxNamespaceType{specs.PIDNamespace, specs.IPCNamespace, specs.UTSNamespace,
		specs.MountNamespace, specs.CgroupNamespace, specs.UserNamespace}, types)
}

func TestToRootlessEdgeCases(t *testing.T) {
	t.Run("nil Linux", func(t *testing.T) {
		s := &specs.Spec{Mounts: []specs.Mount{{Destination: "/sys/", Type: "sysfs", Source: "sysfs"}}}
		ToRootlessIDs(s, 1000, 1000)
		require.Equal(t, []specs.LinuxNamespace{{Type: specs.UserNamespace}}, s.Linux.Namespaces)
		require.Equal(t, "none", s.Mounts[0].Type, "/sys/ is /sys after Clean")
		require.Equal(t, []string{"rbind", "nosuid", "noexec", "nodev", "ro"}, s.Mounts[0].Options)
	})
	t.Run("existing user namespace with a path is replaced, uid= options dropped", func(t *testing.T) {
		s := &specs.Spec{
			Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.UserNamespace, Path: "/proc/1/ns/user"}, {Type: specs.PIDNamespace}}},
			Mounts: []specs.Mount{{Destination: "/data", Type: "tmpfs", Source: "tmpfs",
				Options: []string{"uid=1000", "mode=700", "gid=1000"}}},
		}
		ToRootlessIDs(s, 1000, 1001)
		require.Equal(t, []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.UserNamespace}}, s.Linux.Namespaces)
		require.Equal(t, []string{"mode=700"}, s.Mounts[0].Options)
		require.Equal(t, uint32(1001), s.Linux.GIDMappings[0].HostID)
	})
}

func TestWriteSpecIsByteForByteRunc(t *testing.T) {
	// Writing runc's own spec back must reproduce runc's file exactly:
	// tab indentation, field order, no trailing newline.
	want, err := os.ReadFile(filepath.Join("testdata", "runc-1.1.5-spec.json"))
	require.NoError(t, err)
	var s specs.Spec
	require.NoError(t, json.Unmarshal(want, &s))
	dir := t.TempDir()
	require.NoError(t, WriteSpec(dir, &s))
	got, err := os.ReadFile(filepath.Join(dir, ConfigName))
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func TestWriteSpec(t *testing.T) {
	dir := t.TempDir()
	old := unix.Umask(0o027)
	t.Cleanup(func() { unix.Umask(old) })

	require.NoError(t, WriteSpec(dir, ExampleFor(false)))
	p := filepath.Join(dir, ConfigName)
	fi, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "0666 minus the umask")
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	var back specs.Spec
	require.NoError(t, json.Unmarshal(data, &back))
	require.Equal(t, ExampleFor(false), &back)

	// Never overwrite: runc's message, and os.ErrExist.
	require.NoError(t, os.WriteFile(p, []byte("mine"), 0o600))
	err = WriteSpec(dir, ExampleFor(false))
	require.ErrorIs(t, err, ErrConfigExists)
	require.ErrorIs(t, err, os.ErrExist)
	require.EqualError(t, err, "File config.json exists. Remove it first")
	data, err = os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "mine", string(data), "existing file untouched")
}

func TestWriteSpecRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "elsewhere.json")
	require.NoError(t, os.Symlink(target, filepath.Join(dir, ConfigName)))
	err := WriteSpec(dir, ExampleFor(false))
	require.ErrorIs(t, err, ErrConfigExists)
	_, err = os.Stat(target)
	require.True(t, errors.Is(err, os.ErrNotExist), "the symlink target must not be created")
}

func TestWriteSpecBadBundle(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	err := WriteSpec(missing, ExampleFor(false))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "open bundle "+missing)

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	err = WriteSpec(file, ExampleFor(false))
	require.ErrorIs(t, err, unix.ENOTDIR)
}

func TestWriteSpecDefaultsToCurrentDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, WriteSpec("", ExampleFor(false)))
	_, err := os.Stat(filepath.Join(dir, ConfigName))
	require.NoError(t, err)
}
