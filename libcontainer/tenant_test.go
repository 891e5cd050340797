package libcontainer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestMergeEnvFollowsRunc(t *testing.T) {
	tests := []struct {
		name        string
		base, extra []string
		want        []string
		wantErr     string
	}{
		{name: "nothing", want: []string{}},
		{name: "extra_appended", base: []string{"A=1"}, extra: []string{"B=2"}, want: []string{"A=1", "B=2"}},
		// runc's prepareEnv keeps the last value of a key, at the place of
		// its last occurrence.
		{name: "override_by_key", base: []string{"A=1", "B=2"}, extra: []string{"A=3"}, want: []string{"B=2", "A=3"}},
		{name: "duplicates_in_base", base: []string{"A=1", "A=2", "C=3"}, want: []string{"A=2", "C=3"}},
		{name: "last_flag_wins", extra: []string{"A=1", "A=2"}, want: []string{"A=2"}},
		{name: "empty_value_and_equals_in_value", base: []string{"A="}, extra: []string{"B=x=y"}, want: []string{"A=", "B=x=y"}},
		{name: "path_not_added", base: []string{"HOME=/"}, want: []string{"HOME=/"}},
		{name: "no_equals", extra: []string{"BAD"}, wantErr: `"BAD" is not in KEY=value form`},
		{name: "empty_name", extra: []string{"=x"}, wantErr: `"=x" has an empty name`},
		{name: "nul_byte", extra: []string{"A=a\x00b"}, wantErr: "NUL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mergeEnv(tc.base, tc.extra)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestAddCapabilitiesNeverInheritable(t *testing.T) {
	tests := []struct {
		name    string
		in      *specs.LinuxCapabilities
		add     []string
		want    *specs.LinuxCapabilities
		wantErr string
	}{
		{name: "none_added_keeps_nil", in: nil, add: nil, want: nil},
		{
			name: "nil_starts_empty", in: nil, add: []string{"CAP_SYS_ADMIN"},
			want: &specs.LinuxCapabilities{
				Bounding: []string{"CAP_SYS_ADMIN"}, Effective: []string{"CAP_SYS_ADMIN"}, Permitted: []string{"CAP_SYS_ADMIN"},
			},
		},
		{
			name: "added_to_three_sets_no_duplicates",
			in: &specs.LinuxCapabilities{
				Bounding: []string{"CAP_KILL"}, Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"},
			},
			add: []string{"CAP_KILL", "CAP_NET_RAW", "CAP_NET_RAW"},
			want: &specs.LinuxCapabilities{
				Bounding: []string{"CAP_KILL", "CAP_NET_RAW"}, Effective: []string{"CAP_KILL", "CAP_NET_RAW"},
				Permitted: []string{"CAP_KILL", "CAP_NET_RAW"},
			},
		},
		{
			name: "ambient_only_where_inheritable_already",
			in:   &specs.LinuxCapabilities{Inheritable: []string{"CAP_CHOWN"}},
			add:  []string{"CAP_CHOWN", "CAP_NET_RAW"},
			want: &specs.LinuxCapabilities{
				Bounding:    []string{"CAP_CHOWN", "CAP_NET_RAW"},
				Effective:   []string{"CAP_CHOWN", "CAP_NET_RAW"},
				Permitted:   []string{"CAP_CHOWN", "CAP_NET_RAW"},
				Inheritable: []string{"CAP_CHOWN"},
				Ambient:     []string{"CAP_CHOWN"},
			},
		},
		{name: "unknown_name", add: []string{"CAP_NOPE"}, wantErr: `--cap "CAP_NOPE": unknown capability`},
		{name: "lower_case_is_unknown", add: []string{"net_raw"}, wantErr: `--cap "net_raw"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before []byte
			if tc.in != nil {
				before, _ = json.Marshal(tc.in)
			}
			got, err := addCapabilities(tc.in, tc.add)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			if tc.in != nil {
				after, _ := json.Marshal(tc.in)
				require.JSONEq(t, string(before), string(after), "the input is not changed")
			}
		})
	}
}

func TestApplyUser(t *testing.T) {
	u32 := func(v uint32) *uint32 { return &v }
	tests := []struct {
		name     string
		in       specs.User
		uid, gid *uint32
		gids     []uint32
		want     specs.User
	}{
		{name: "nothing", in: specs.User{UID: 5, GID: 6}, want: specs.User{UID: 5, GID: 6}},
		{name: "uid_only_keeps_gid", in: specs.User{UID: 5, GID: 6}, uid: u32(1000), want: specs.User{UID: 1000, GID: 6}},
		{name: "uid_and_gid", in: specs.User{UID: 5, GID: 6}, uid: u32(0), gid: u32(0), want: specs.User{}},
		{
			name: "gids_added_once", in: specs.User{AdditionalGids: []uint32{3}}, gids: []uint32{7, 3, 8},
			want: specs.User{AdditionalGids: []uint32{3, 7, 8}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.in
			applyUser(&u, tc.uid, tc.gid, tc.gids)
			require.Equal(t, tc.want, u)
		})
	}
}

func TestTenantProcess(t *testing.T) {
	recorded, err := json.Marshal(&specs.Process{
		Args: []string{"sleep", "1"}, Env: []string{"PATH=/bin", "A=1"}, Cwd: "/",
		User:        specs.User{UID: 0, GID: 0},
		Terminal:    false,
		OOMScoreAdj: new(int),
		Capabilities: &specs.LinuxCapabilities{
			Bounding: []string{"CAP_KILL"}, Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"},
		},
		NoNewPrivileges: true,
	})
	require.NoError(t, err)
	builder := func() *TenantContainerBuilder { return NewContainerBuilder("c", "/run/x").AsTenant() }

	t.Run("flags_over_the_recorded_process", func(t *testing.T) {
		p, err := builder().WithArgs("sh", "-c", "x").WithEnv("A=2", "B=3").WithCwd("/tmp").
			WithUser(1000, nil).WithAdditionalGids(5).WithCapabilities("CAP_CHOWN").
			WithNoNewPrivileges(false).WithAppArmorProfile("prof").WithProcessLabel("lbl").
			process(recorded)
		require.NoError(t, err)
		require.Equal(t, []string{"sh", "-c", "x"}, p.Args)
		require.Equal(t, []string{"PATH=/bin", "A=2", "B=3"}, p.Env)
		require.Equal(t, "/tmp", p.Cwd)
		require.Equal(t, specs.User{UID: 1000, AdditionalGids: []uint32{5}}, p.User)
		require.Equal(t, []string{"CAP_KILL", "CAP_CHOWN"}, p.Capabilities.Effective)
		require.Empty(t, p.Capabilities.Inheritable)
		require.False(t, p.NoNewPrivileges)
		require.Equal(t, "prof", p.ApparmorProfile)
		require.Equal(t, "lbl", p.SelinuxLabel)
		require.Nil(t, p.OOMScoreAdj, "only the init gets oomScoreAdj")
	})
	t.Run("recorded_settings_kept_without_flags", func(t *testing.T) {
		p, err := builder().WithArgs("true").process(recorded)
		require.NoError(t, err)
		require.True(t, p.NoNewPrivileges)
		require.Equal(t, []string{"CAP_KILL"}, p.Capabilities.Bounding)
		require.Equal(t, "/", p.Cwd)
	})
	t.Run("process_file_wins_and_flags_are_ignored", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "p.json")
		require.NoError(t, os.WriteFile(path, []byte(`{"args":["id"],"cwd":"/x","env":["A=1","A=2"]}`), 0o644))
		p, err := builder().WithProcessFile(path).WithArgs("ignored").WithEnv("B=1").WithCapabilities("CAP_CHOWN").process(recorded)
		require.NoError(t, err)
		require.Equal(t, []string{"id"}, p.Args)
		require.Equal(t, []string{"A=2"}, p.Env)
		require.Nil(t, p.Capabilities)
	})
	errs := []struct {
		name string
		tb   *TenantContainerBuilder
		rec  json.RawMessage
		want string
	}{
		{"no_args", builder(), recorded, "no command"},
		{"relative_cwd", builder().WithArgs("x").WithCwd("tmp"), recorded, `--cwd "tmp"`},
		{"minus_one_uid", builder().WithArgs("x").WithUser(4294967295, nil), recorded, "--user"},
		{"bad_env", builder().WithArgs("x").WithEnv("X"), recorded, `--env: "X"`},
		{"bad_cap", builder().WithArgs("x").WithCapabilities("CAP_X"), recorded, `--cap "CAP_X"`},
		{"nothing_recorded", builder().WithArgs("x"), nil, "--process"},
		{"missing_process_file", builder().WithProcessFile("/nonexistent/p.json"), recorded, "--process"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.tb.process(tc.rec)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
