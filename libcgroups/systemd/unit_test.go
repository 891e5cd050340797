package systemd_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/systemd"
)

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		path, id, def string
		want          systemd.Unit
		cgroup        string
		err           string
	}{
		{path: "", id: "c1", def: "system.slice", want: systemd.Unit{Slice: "system.slice", Name: "gocontainer-c1.scope"}, cgroup: "/system.slice/gocontainer-c1.scope"},
		{path: "", id: "c1", def: "user.slice", want: systemd.Unit{Slice: "user.slice", Name: "gocontainer-c1.scope"}, cgroup: "/user.slice/gocontainer-c1.scope"},
		{path: "system.slice:runc:c1", want: systemd.Unit{Slice: "system.slice", Name: "runc-c1.scope"}, cgroup: "/system.slice/runc-c1.scope"},
		{path: ":docker:abc", def: "system.slice", want: systemd.Unit{Slice: "system.slice", Name: "docker-abc.scope"}, cgroup: "/system.slice/docker-abc.scope"},
		{path: "machine.slice::abc", want: systemd.Unit{Slice: "machine.slice", Name: "abc.scope"}, cgroup: "/machine.slice/abc.scope"},
		{path: "a-b.slice:p:n", want: systemd.Unit{Slice: "a-b.slice", Name: "p-n.scope"}, cgroup: "/a.slice/a-b.slice/p-n.scope"},
		{path: "-.slice:p:n", want: systemd.Unit{Slice: "-.slice", Name: "p-n.scope"}, cgroup: "/p-n.scope"},
		{path: "kubepods.slice:x:kubepods-pod1.slice", want: systemd.Unit{Slice: "kubepods.slice", Name: "kubepods-pod1.slice"}, cgroup: "/kubepods.slice/kubepods-pod1.slice"},
		{path: "", id: "", def: "system.slice", err: "empty, and no container id"},
		{path: "system.slice:c1", err: `"system.slice:c1" is not in the systemd form slice:prefix:name (2 parts)`},
		{path: "/sys/fs/cgroup/x", err: "is not in the systemd form"},
		{path: "a:b:c:d", err: "(4 parts)"},
		{path: "system.slice:p:", err: "the name part is empty"},
		{path: "system:p:n", err: `parent "system" is not a slice (want NAME.slice)`},
		{path: "foo.service:p:n", err: `parent "foo.service" is not a slice`},
		{path: "a--b.slice:p:n", err: `invalid slice name "a--b.slice"`},
		{path: "-a.slice:p:n", err: `invalid slice name "-a.slice"`},
		{path: "a/b.slice:p:n", err: `invalid slice name`},
		{path: "system.slice:p:n/x", err: `character '/' is not allowed`},
		{path: "system.slice:p:n x", err: `character ' ' is not allowed`},
		{path: "kubepods.slice:x:other-pod.slice", err: `slice "other-pod.slice" is not a child of "kubepods.slice"`},
	} {
		t.Run(tc.path+"|"+tc.id, func(t *testing.T) {
			def := tc.def
			if def == "" {
				def = "system.slice"
			}
			u, err := systemd.ParsePath(tc.path, tc.id, def)
			if tc.err != "" {
				require.ErrorIs(t, err, systemd.ErrInvalidPath)
				require.ErrorContains(t, err, tc.err)
				require.ErrorContains(t, err, "linux.cgroupsPath")
				require.NotContains(t, err.Error(), "\n")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, u)
			cg, err := u.CgroupPath()
			require.NoError(t, err)
			require.Equal(t, tc.cgroup, cg)
		})
	}
}

func TestExpandSlice(t *testing.T) {
	for in, want := range map[string]string{
		"-.slice":         "/",
		"system.slice":    "/system.slice",
		"a-b.slice":       "/a.slice/a-b.slice",
		"a-b-c.slice":     "/a.slice/a-b.slice/a-b-c.slice",
		"user-1000.slice": "/user.slice/user-1000.slice",
	} {
		got, err := systemd.ExpandSlice(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"system", "a-.slice", ".slice", "a--b.slice", "x/y.slice"} {
		_, err := systemd.ExpandSlice(bad)
		require.ErrorIs(t, err, systemd.ErrInvalidPath, bad)
	}
}

func TestUnitPathEscapesAsSystemd(t *testing.T) {
	// busctl tree org.freedesktop.systemd1 shows these.
	require.Equal(t, "/org/freedesktop/systemd1/unit/gocontainer_2dc1_2escope", string(systemd.UnitPath("gocontainer-c1.scope")))
	require.Equal(t, "/org/freedesktop/systemd1/unit/system_2eslice", string(systemd.UnitPath("system.slice")))
	require.Equal(t, "/org/freedesktop/systemd1/unit/a_5fb_3a1_2escope", string(systemd.UnitPath("a_b:1.scope")))
}
