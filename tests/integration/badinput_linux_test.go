package integration

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// TestCreateRejectsBadInputAndLeavesNothingBehind: every bad bundle or id,
// given to create or to run,
// gives a non-zero exit, one error line naming the field or path, and no
// state dir, cgroup, mount or process on the host.
func TestCreateRejectsBadInputAndLeavesNothingBehind(t *testing.T) {
	r := newRuntime(t)
	tests := []struct {
		name string
		id   string
		// edit changes the spec before it is written; raw, when set,
		// then replaces config.json (nil: leave it).
		edit func(t *testing.T, b *bundle, s *specs.Spec)
		raw  func(t *testing.T, b *bundle)
		want []string
	}{
		{
			name: "malformed_config_json",
			raw: func(t *testing.T, b *bundle) {
				require.NoError(t, os.WriteFile(filepath.Join(b.dir, "config.json"), []byte(`{"ociVersion": "1.3.0", "process": {`), 0o644))
			},
			want: []string{"config.json"},
		},
		{
			name: "missing_config_json",
			raw: func(t *testing.T, b *bundle) {
				require.NoError(t, os.Remove(filepath.Join(b.dir, "config.json")))
			},
			want: []string{"config.json"},
		},
		{
			name: "unknown_namespace_type",
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "bogusns"})
			},
			want: []string{"bogusns"},
		},
		{name: "id_with_slash", id: "a/b", want: []string{"a/b"}},
		{name: "id_dotdot", id: "..", want: []string{".."}},
		{name: "id_empty", id: "", want: []string{"id"}},
		{
			name: "missing_rootfs",
			edit: func(t *testing.T, b *bundle, s *specs.Spec) { s.Root.Path = "no-such-rootfs" },
			want: []string{"no-such-rootfs"},
		},
		{
			name: "process_args_binary_missing",
			edit: func(t *testing.T, b *bundle, s *specs.Spec) { s.Process.Args = []string{"nope"} },
			want: []string{`exec: "nope": executable file not found`},
		},
		{
			name: "prestart_hook_fails",
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				//lint:ignore SA1019 prestart is deprecated but runc still runs it and users still set it
				s.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "/bin/false"}}}
			},
			want: []string{"prestart", "/bin/false"},
		},
		{
			// The init dies half way through create (a createRuntime hook
			// SIGKILLs the pid it gets in the state): create must notice at
			// once, say how the init died, and clean up.
			name: "init_killed_during_create",
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				hook := filepath.Join(b.dir, "kill-init.sh")
				script := "#!/bin/sh\npid=$(sed -n 's/.*\"pid\":\\([0-9]*\\).*/\\1/p')\nkill -9 \"$pid\"\n"
				require.NoError(t, os.WriteFile(hook, []byte(script), 0o755))
				s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: hook}}}
			},
			want: []string{"container init exited unexpectedly", "SIGKILL"},
		},
		{
			name: "createRuntime_hook_missing",
			edit: func(t *testing.T, b *bundle, s *specs.Spec) {
				s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/no/such/hook"}}}
			},
			want: []string{"/no/such/hook"},
		},
	}
	for _, command := range []string{"create", "run"} {
		for _, tc := range tests {
			t.Run(command+"/"+tc.name, func(t *testing.T) {
				snap := takeSnapshot(t)
				spec := baseSpec("sleep", "100")
				cg := uniqueCgroup(t)
				spec.Linux.CgroupsPath = cg
				b := newBundle(t, spec)
				if tc.edit != nil {
					tc.edit(t, b, spec)
					b.write(t, spec)
				}
				if tc.raw != nil {
					tc.raw(t, b)
				}
				id := "bad"
				if tc.name[:3] == "id_" {
					id = tc.id
				}
				if id != "" && id != ".." && id != "a/b" {
					r.deleteOnCleanup(t, id)
				}
				res := r.run(t, command, "--bundle", b.dir, id)
				t.Logf("stderr: %s", res.stderr)
				requireOneLineError(t, res, tc.want...)
				stateID := id
				if id == "" || id == ".." || id == "a/b" {
					stateID = ""
					// Nothing may appear under --root for an invalid id,
					// nor next to it (".." would be the root's parent).
					ents, _ := os.ReadDir(r.root)
					require.Empty(t, ents, "invalid id %q created entries under --root", id)
					_, err := os.Stat(filepath.Join(filepath.Dir(r.root), "state.json"))
					require.True(t, os.IsNotExist(err), "invalid id %q wrote state next to --root", id)
				}
				r.requireNothingLeft(t, snap, stateID, cg)
			})
		}
	}
}

func TestCreateWithADuplicateIDFailsAndLeavesTheFirstContainerAlone(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	spec := baseSpec("sleep", "100")
	cg1 := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg1
	b1 := newBundle(t, spec)
	r.deleteOnCleanup(t, "dup")
	r.ok(t, "create", "--bundle", b1.dir, "dup")
	first := r.mustState(t, "dup")

	spec2 := baseSpec("sleep", "100")
	cg2 := uniqueCgroup(t)
	spec2.Linux.CgroupsPath = cg2
	b2 := newBundle(t, spec2)
	res := r.run(t, "create", "--bundle", b2.dir, "dup")
	requireOneLineError(t, res, "dup")

	after := r.mustState(t, "dup")
	require.Equal(t, first, after, "the second create changed the first container's state")
	require.True(t, pidAlive(first.Pid), "the first container's init died")
	for _, d := range cgroupDirs(cg2) {
		_, err := os.Stat(d)
		require.True(t, os.IsNotExist(err), "the failed create left cgroup %s", d)
	}
	// The first container still works.
	r.ok(t, "start", "dup")
	require.Equal(t, "running", r.mustState(t, "dup").Status)
	r.ok(t, "delete", "-f", "dup")
	r.requireNothingLeft(t, snap, "dup", cg1)
}
