//go:build linux

package oci

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadListParsesNamesXFailAndAttempts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	require.NoError(t, os.WriteFile(path, []byte("# header\ndefault\n\n  hostname   # trailing comment\nhooks xfail: Hooks MUST be called in the listed order # why\npoststart attempts: 4\n"), 0o644))
	got := readList(t, path)
	require.Equal(t, []listEntry{
		{Name: "default", Attempts: 1},
		{Name: "hostname", Attempts: 1},
		{Name: "hooks", XFail: "Hooks MUST be called in the listed order", Attempts: 1},
		{Name: "poststart", Attempts: 4},
	}, got)
}

func TestShippedListParses(t *testing.T) {
	entries := readList(t, "list.txt")
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name] = true
	}
	// The programs the project promised to run on every CI run.
	for _, n := range []string{"default", "create", "state", "kill", "kill_no_effect", "killsig",
		"delete_only_create_resources", "delete_resources", "hostname", "mounts",
		"linux_masked_paths", "linux_readonly_paths", "linux_devices", "linux_sysctl",
		"linux_ns_itype", "linux_ns_nopath", "linux_ns_path", "linux_ns_path_type",
		"linux_uid_mappings", "process", "process_user", "process_rlimits_fail",
		"process_oom_score_adj", "root_readonly_true", "hooks", "prestart", "prestart_fail",
		"poststart", "poststart_fail", "poststop", "poststop_fail", "config_updates_without_affect"} {
		require.True(t, names[n], "list.txt lacks %s", n)
	}
}

func TestJudgeXFail(t *testing.T) {
	const want = "Hooks MUST be called in the listed order"
	cases := []struct {
		name    string
		res     result
		wantErr string
	}{
		{
			name: "the expected failure",
			res:  result{Status: "fail", CleanExit: true, Failures: []string{"diagnostic without result: " + want}},
		},
		{
			name:    "a pass means the xfail is stale",
			res:     result{Status: "pass", CleanExit: true},
			wantErr: "remove the xfail",
		},
		{
			name:    "another failure as well",
			res:     result{Status: "fail", CleanExit: true, Failures: []string{"diagnostic without result: " + want, "not ok 2 - boom"}},
			wantErr: `unexpected failure "not ok 2 - boom"`,
		},
		{
			name:    "non-zero exit",
			res:     result{Status: "fail", Reason: "exit: exit status 1", Failures: []string{want}},
			wantErr: "exit status 1",
		},
		{
			name:    "timeout",
			res:     result{Status: "timeout", Reason: "no exit within 3m0s"},
			wantErr: "timeout",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := judgeXFail(tc.res, want)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}
