package libcontainer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExecJoinPlanSkipsTheCallersOwnNamespaces(t *testing.T) {
	// Every namespace of this process is the caller's: nothing to join
	// (setns into one's own user namespace would fail with EINVAL).
	plan, err := execJoinPlan(os.Getpid())
	require.NoError(t, err)
	require.Equal(t, "flags 0\nnondumpable\n", plan)

	_, err = execJoinPlan(1 << 30)
	require.ErrorContains(t, err, "/proc/1073741824/ns/")
}

func TestExecCgroupDirs(t *testing.T) {
	root := t.TempDir()
	mk := func(p string) string {
		d := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(d, 0o755))
		return d
	}
	cpu := mk("cpu,cpuacct/c")
	mem := mk("memory/c")
	uni := mk("unified/c")
	mk("memory/c/sub")
	mk("unified/c/sub")
	mk("cpu,cpuacct/c/sub")
	// cpu and cpuacct share one hierarchy, as on hybrid hosts.
	paths := map[string]string{"cpu": cpu, "cpuacct": cpu, "memory": mem, "": uni}
	tests := []struct {
		name        string
		sub         map[string]string
		dirs        []string
		unified     string
		wantErr     string
		onlyV1Paths bool
	}{
		{name: "container_cgroup_each_hierarchy_once", dirs: []string{cpu, mem}, unified: uni},
		{name: "bare_path_is_cgroup_v2", sub: map[string]string{"": "sub"}, dirs: []string{cpu, mem}, unified: uni + "/sub"},
		{name: "v1_controller", sub: map[string]string{"memory": "sub"}, dirs: []string{cpu, mem + "/sub"}, unified: uni},
		{name: "one_of_a_shared_hierarchy", sub: map[string]string{"cpuacct": "sub"}, dirs: []string{cpu + "/sub", mem}, unified: uni},
		{name: "dot_is_the_container_cgroup", sub: map[string]string{"memory": "."}, dirs: []string{cpu, mem}, unified: uni},
		{name: "missing_sub_cgroup", sub: map[string]string{"memory": "nope"}, wantErr: "--cgroup memory:nope: sub-cgroup " + mem + "/nope does not exist"},
		{name: "escape", sub: map[string]string{"memory": "../../x"}, wantErr: "is not below the container's cgroup"},
		{name: "unknown_controller", sub: map[string]string{"rdma": "sub"}, wantErr: "--cgroup rdma:sub: the container has no cgroup in the controller rdma"},
		{name: "conflict_in_one_hierarchy", sub: map[string]string{"cpu": "sub", "cpuacct": "."}, wantErr: "different sub-cgroups"},
		{name: "no_cgroup_v2", onlyV1Paths: true, sub: map[string]string{"": "sub"}, wantErr: "no cgroup in the cgroup v2 hierarchy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := paths
			if tc.onlyV1Paths {
				p = map[string]string{"memory": mem}
			}
			dirs, unified, err := execCgroupDirs(p, tc.sub)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.dirs, dirs)
			require.Equal(t, tc.unified, unified)
		})
	}
}

func TestExecSeccompRecordRoundTrip(t *testing.T) {
	dir := t.TempDir()
	got, err := loadExecSeccomp(dir)
	require.NoError(t, err)
	require.Nil(t, got, "no profile recorded")
	for _, none := range []string{"", "null"} {
		require.NoError(t, saveExecSeccomp(dir, []byte(none)))
		_, err := os.Stat(filepath.Join(dir, execSeccompFile))
		require.True(t, os.IsNotExist(err), "nothing recorded for %q", none)
	}
	profile := `{"defaultAction":"SCMP_ACT_ALLOW"}`
	require.NoError(t, saveExecSeccomp(dir, []byte(profile)))
	got, err = loadExecSeccomp(dir)
	require.NoError(t, err)
	require.JSONEq(t, profile, string(got))
	fi, err := os.Stat(filepath.Join(dir, execSeccompFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}
