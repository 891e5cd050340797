package ocicli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func ptr[T any](v T) *T { return &v }

func TestCommandsParseFlagsIntoOptions(t *testing.T) {
	cwd, err := os.Getwd()
	require.NoError(t, err)
	tests := []struct {
		name   string
		args   []string
		method string
		want   any
	}{
		{
			name:   "create defaults",
			args:   []string{"create", "c1"},
			method: "create",
			want:   &CreateOptions{ID: "c1", Bundle: cwd},
		},
		{
			name: "create all flags as containerd sends them",
			args: []string{"create", "--bundle", "/b", "--pid-file", "/run/p.pid", "--console-socket", "/s.sock",
				"--pidfd-socket", "/pfd.sock", "--no-pivot", "--no-new-keyring", "--preserve-fds", "3", "--detach", "c1"},
			method: "create",
			want: &CreateOptions{ID: "c1", Bundle: "/b", PidFile: "/run/p.pid", ConsoleSocket: "/s.sock",
				PidfdSocket: "/pfd.sock", NoPivot: true, NoNewKeyring: true, PreserveFDs: 3},
		},
		{
			name:   "create relative bundle and pid file become absolute, short -b",
			args:   []string{"create", "-b", "bundle", "--pid-file=pid", "c1"},
			method: "create",
			want:   &CreateOptions{ID: "c1", Bundle: filepath.Join(cwd, "bundle"), PidFile: filepath.Join(cwd, "pid")},
		},
		{
			name:   "create flags after the id (interspersed)",
			args:   []string{"create", "c1", "--no-pivot"},
			method: "create",
			want:   &CreateOptions{ID: "c1", Bundle: cwd, NoPivot: true},
		},
		{
			name:   "run",
			args:   []string{"run", "-d", "--keep", "--no-subreaper", "-b", "/b", "c2"},
			method: "run",
			want:   &RunOptions{CreateOptions: CreateOptions{ID: "c2", Bundle: "/b"}, Detach: true, Keep: true, NoSubreaper: true},
		},
		{name: "start", args: []string{"start", "c1"}, method: "start", want: &StartOptions{ID: "c1"}},
		{name: "state", args: []string{"state", "c1"}, method: "state", want: &StateOptions{ID: "c1"}},
		{name: "pause", args: []string{"pause", "c1"}, method: "pause", want: &PauseOptions{ID: "c1"}},
		{name: "resume", args: []string{"resume", "c1"}, method: "resume", want: &ResumeOptions{ID: "c1"}},
		{
			name: "kill default signal", args: []string{"kill", "c1"}, method: "kill",
			want: &KillOptions{ID: "c1", Signal: "SIGTERM", SignalNum: syscall.SIGTERM},
		},
		{
			name: "kill --all with number", args: []string{"kill", "--all", "c1", "9"}, method: "kill",
			want: &KillOptions{ID: "c1", Signal: "9", SignalNum: syscall.SIGKILL, All: true},
		},
		{
			name: "kill -a with name", args: []string{"kill", "-a", "c1", "kill"}, method: "kill",
			want: &KillOptions{ID: "c1", Signal: "kill", SignalNum: syscall.SIGKILL, All: true},
		},
		{name: "delete", args: []string{"delete", "c1"}, method: "delete", want: &DeleteOptions{ID: "c1"}},
		{name: "delete -f", args: []string{"delete", "-f", "c1"}, method: "delete", want: &DeleteOptions{ID: "c1", Force: true}},
		{name: "delete --force after id", args: []string{"delete", "c1", "--force"}, method: "delete", want: &DeleteOptions{ID: "c1", Force: true}},
		{name: "list defaults", args: []string{"list"}, method: "list", want: &ListOptions{Format: "table"}},
		{name: "list json quiet", args: []string{"list", "--format=json", "-q"}, method: "list", want: &ListOptions{Format: "json", Quiet: true}},
		{name: "list -f json", args: []string{"list", "-f", "json"}, method: "list", want: &ListOptions{Format: "json"}},
		{name: "ps json", args: []string{"ps", "--format", "json", "c1"}, method: "ps", want: &PsOptions{ID: "c1", Format: "json", PsArgs: nil}},
		{name: "ps args pass through", args: []string{"ps", "c1", "-ef", "-o", "pid"}, method: "ps", want: &PsOptions{ID: "c1", Format: "table", PsArgs: []string{"-ef", "-o", "pid"}}},
		{name: "events defaults", args: []string{"events", "c1"}, method: "events", want: &EventsOptions{ID: "c1", Interval: 5 * time.Second}},
		{name: "events flags", args: []string{"events", "--stats", "--interval=250ms", "c1"}, method: "events", want: &EventsOptions{ID: "c1", Stats: true, Interval: 250 * time.Millisecond}},
		{name: "spec defaults", args: []string{"spec"}, method: "spec", want: &SpecOptions{Bundle: cwd}},
		{name: "spec flags", args: []string{"spec", "-b", "/b", "--rootless"}, method: "spec", want: &SpecOptions{Bundle: "/b", Rootless: true}},
		{name: "features", args: []string{"features"}, method: "features", want: &FeaturesOptions{}},
		{
			name: "exec command", args: []string{"exec", "c1", "sh", "-c", "echo hi"}, method: "exec",
			want: &ExecOptions{ID: "c1", Args: []string{"sh", "-c", "echo hi"}},
		},
		{
			name: "exec with dash-dash", args: []string{"exec", "-t", "c1", "--", "ls", "-l"}, method: "exec",
			want: &ExecOptions{ID: "c1", TTY: true, Args: []string{"ls", "-l"}},
		},
		{
			name:   "exec process.json as go-runc sends it",
			args:   []string{"exec", "--process", "/tmp/p.json", "--console-socket", "/s", "--pidfd-socket", "/pfd", "--detach", "--pid-file", "/p", "c1"},
			method: "exec",
			want:   &ExecOptions{ID: "c1", Process: "/tmp/p.json", ConsoleSocket: "/s", PidfdSocket: "/pfd", Detach: true, PidFile: "/p"},
		},
		{
			name: "exec every flag",
			args: []string{"exec", "-p", "/p.json", "-d", "-t", "--console-socket", "/s", "--pidfd-socket", "/f", "--cwd", "/w",
				"-e", "A=1,2", "--env", "B=3", "-u", "1000:100", "-g", "10", "--additional-gids", "20",
				"-c", "CAP_SYS_ADMIN", "--cap", "CAP_NET_RAW", "--no-new-privs", "--apparmor", "prof", "--process-label", "lbl",
				"--preserve-fds", "2", "--pid-file", "rel.pid", "--ignore-paused", "--cgroup", "cpu,cpuacct:sub", "--cgroup", "memory:m",
				"c1", "true"},
			method: "exec",
			want: &ExecOptions{
				ID: "c1", Args: []string{"true"}, Process: "/p.json", Detach: true, TTY: true, ConsoleSocket: "/s", PidfdSocket: "/f",
				Cwd: "/w", Env: []string{"A=1,2", "B=3"}, User: "1000:100", UID: ptr(uint32(1000)), GID: ptr(uint32(100)),
				AdditionalGids: []uint32{10, 20}, Caps: []string{"CAP_SYS_ADMIN", "CAP_NET_RAW"}, NoNewPrivs: ptr(true),
				AppArmor: "prof", ProcessLabel: "lbl", PreserveFDs: 2, PidFile: filepath.Join(cwd, "rel.pid"), IgnorePaused: true,
				Cgroups:        []string{"cpu,cpuacct:sub", "memory:m"},
				SubCgroupPaths: map[string]string{"cpu": "sub", "cpuacct": "sub", "memory": "m"},
			},
		},
		{
			name: "exec flags after id belong to the command", args: []string{"exec", "c1", "ls", "--tty", "-u", "x"}, method: "exec",
			want: &ExecOptions{ID: "c1", Args: []string{"ls", "--tty", "-u", "x"}},
		},
		{
			name: "exec user without gid, no-new-privs=false", args: []string{"exec", "-u", "7", "--no-new-privs=false", "--cgroup", "/sub", "c1", "id"}, method: "exec",
			want: &ExecOptions{ID: "c1", Args: []string{"id"}, User: "7", UID: ptr(uint32(7)), NoNewPrivs: ptr(false),
				Cgroups: []string{"/sub"}, SubCgroupPaths: map[string]string{"": "/sub"}},
		},
		{
			name: "update from resources on stdin as containerd sends it", args: []string{"update", "--resources=-", "c1"}, method: "update",
			want: &UpdateOptions{ID: "c1", Resources: "-"},
		},
		{
			name: "update every flag",
			args: []string{"update", "-r", "", "--blkio-weight", "500", "--cpu-period", "100000", "--cpu-quota", "-1", "--cpu-burst", "1000",
				"--cpu-rt-period", "1000000", "--cpu-rt-runtime", "950000", "--cpu-share", "512", "--cpu-idle", "1",
				"--cpuset-cpus", "0-1", "--cpuset-mems", "0", "--memory", "512m", "--memory-reservation", "1G",
				"--memory-swap", "-1", "--pids-limit", "100", "--l3-cache-schema", "L3:0=f", "--mem-bw-schema", "MB:0=70",
				"--kernel-memory", "1m", "c1"},
			method: "update",
			want: &UpdateOptions{
				ID: "c1", BlkioWeight: ptr(uint16(500)), CPUPeriod: ptr(uint64(100000)), CPUQuota: ptr(int64(-1)),
				CPUBurst: ptr(uint64(1000)), CPURtPeriod: ptr(uint64(1000000)), CPURtRuntime: ptr(int64(950000)),
				CPUShares: ptr(uint64(512)), CPUIdle: ptr(int64(1)), CpusetCpus: ptr("0-1"), CpusetMems: ptr("0"),
				Memory: ptr(int64(512 << 20)), MemoryReservation: ptr(int64(1 << 30)), MemorySwap: ptr(int64(-1)),
				PidsLimit: ptr(int64(100)), L3CacheSchema: ptr("L3:0=f"), MemBwSchema: ptr("MB:0=70"),
				IgnoredFlags: []string{"kernel-memory"},
			},
		},
		{
			name: "update blkio-weight 0 means not given, like runc", args: []string{"update", "--blkio-weight", "0", "c1"}, method: "update",
			want: &UpdateOptions{ID: "c1"},
		},
		{
			name: "checkpoint defaults", args: []string{"checkpoint", "c1"}, method: "checkpoint",
			want: &CheckpointOptions{ID: "c1", StatusFd: -1},
		},
		{
			name: "checkpoint every flag",
			args: []string{"checkpoint", "--image-path", "/i", "--work-path", "/w", "--parent-path", "../p", "--leave-running",
				"--tcp-established", "--tcp-skip-in-flight", "--link-remap", "--ext-unix-sk", "--shell-job", "--lazy-pages",
				"--status-fd", "3", "--page-server", "10.0.0.1:27", "--file-locks", "--pre-dump", "--manage-cgroups-mode", "full",
				"--empty-ns", "network", "--auto-dedup", "c1"},
			method: "checkpoint",
			want: &CheckpointOptions{ID: "c1", ImagePath: "/i", WorkPath: "/w", ParentPath: "../p", LeaveRunning: true,
				TCPEstablished: true, TCPSkipInFlight: true, LinkRemap: true, ExtUnixSk: true, ShellJob: true, LazyPages: true,
				StatusFd: 3, PageServer: "10.0.0.1:27", FileLocks: true, PreDump: true, ManageCgroupsMode: "full",
				EmptyNs: []string{"network"}, AutoDedup: true},
		},
		{
			name: "restore every flag",
			args: []string{"restore", "--console-socket", "/s", "--image-path", "/i", "--work-path", "/w", "--tcp-established",
				"--ext-unix-sk", "--shell-job", "--file-locks", "--manage-cgroups-mode", "soft", "-b", "/b", "-d", "--pid-file", "/p",
				"--no-subreaper", "--no-pivot", "--empty-ns", "network", "--auto-dedup", "--lazy-pages",
				"--lsm-profile", "apparmor:x", "--lsm-mount-context", "ctx", "c1"},
			method: "restore",
			want: &RestoreOptions{ID: "c1", ConsoleSocket: "/s", ImagePath: "/i", WorkPath: "/w", TCPEstablished: true,
				ExtUnixSk: true, ShellJob: true, FileLocks: true, ManageCgroupsMode: "soft", Bundle: "/b", Detach: true,
				PidFile: "/p", NoSubreaper: true, NoPivot: true, EmptyNs: []string{"network"}, AutoDedup: true,
				LazyPages: true, LsmProfile: "apparmor:x", LsmMountContext: "ctx"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
			require.Empty(t, r.stderr)
			require.Len(t, r.h.calls, 1)
			require.Equal(t, tc.method, r.h.calls[0].method)
			require.Equal(t, tc.want, r.h.calls[0].opts)
		})
	}
}

func TestGlobalFlags(t *testing.T) {
	r := runCLI(t, nil, "state", "c1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, GlobalOptions{Root: DefaultRoot, LogFormat: "text", Rootless: "auto"}, r.h.calls[0].g)

	// containerd's global arguments, then a podman-style --log-level and
	// the obsolete --criu.
	r = runCLI(t, nil, "--root", "/run/containerd/runc/default", "--log", "/b/log.json", "--log-format", "json",
		"--systemd-cgroup", "--rootless=true", "--debug", "--log-level", "info", "--criu", "/usr/sbin/criu", "state", "c1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, GlobalOptions{Root: "/run/containerd/runc/default", RootSet: true, Log: "/b/log.json", LogFormat: "json",
		Debug: true, LogLevel: "info", SystemdCgroup: true, Rootless: "true", Criu: "/usr/sbin/criu"}, r.h.calls[0].g)

	// Global flags after the subcommand are accepted too.
	r = runCLI(t, nil, "delete", "--root", "/r", "c1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "/r", r.h.calls[0].g.Root)
}

type rootlessHandler struct{ recordingHandler }

func (rootlessHandler) DefaultRoot() string { return "/run/user/1000/gocontainer" }

func TestDefaultRooterChangesRootDefault(t *testing.T) {
	h := &rootlessHandler{}
	var out, errb strings.Builder
	code := ExecuteContext(t.Context(), []string{"list"}, h, VersionInfo{}, nil, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	require.Equal(t, "/run/user/1000/gocontainer", h.calls[0].g.Root)
	require.False(t, h.calls[0].g.RootSet)

	out.Reset()
	code = ExecuteContext(t.Context(), []string{"--help"}, h, VersionInfo{}, nil, &out, &errb)
	require.Equal(t, 0, code)
	require.Contains(t, out.String(), "/run/user/1000/gocontainer")
}

func TestUsageErrorsAreOneLineAndNameTheProblem(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"create"}, "gocontainer: create: missing <container-id> (usage: gocontainer create [flags] <container-id>)"},
		{[]string{"create", "a", "b"}, `gocontainer: create: unexpected argument "b"`},
		{[]string{"start", ""}, "gocontainer: start: empty <container-id>"},
		{[]string{"state"}, "gocontainer: state: missing <container-id>"},
		{[]string{"delete", "a", "b"}, `gocontainer: delete: unexpected argument "b"`},
		{[]string{"kill"}, "gocontainer: kill: missing <container-id>"},
		{[]string{"kill", "c1", "TERM", "x"}, `gocontainer: kill: unexpected argument "x"`},
		{[]string{"kill", "c1", "NOPE"}, `gocontainer: kill: invalid signal "NOPE": unknown signal name`},
		{[]string{"exec", "c1"}, "gocontainer: exec: missing <command> (or --process)"},
		{[]string{"exec"}, "gocontainer: exec: missing <container-id>"},
		{[]string{"exec", "-u", "root", "c1", "id"}, `gocontainer: exec: invalid --user "root": uid "root" is not a number`},
		{[]string{"exec", "-u", "1:x", "c1", "id"}, `gocontainer: exec: invalid --user "1:x": gid "x" is not a number`},
		{[]string{"exec", "-g", "-1", "c1", "id"}, `gocontainer: exec: invalid --additional-gids "-1"`},
		{[]string{"exec", "--cgroup", "a", "--cgroup", "b", "c1", "id"}, `gocontainer: exec: invalid --cgroup "a": several --cgroup values need a <controller>: prefix each`},
		{[]string{"exec", "--cgroup", "cpu:a", "--cgroup", "cpu:b", "c1", "id"}, `controller cpu given more than once`},
		{[]string{"exec", "--preserve-fds", "-1", "c1", "id"}, "gocontainer: exec: invalid --preserve-fds -1: must not be negative"},
		{[]string{"create", "--preserve-fds", "-2", "c1"}, "gocontainer: create: invalid --preserve-fds -2: must not be negative"},
		{[]string{"create", "--preserve-fds", "x", "c1"}, `gocontainer: create: invalid argument "x" for "--preserve-fds" flag`},
		{[]string{"create", "--bogus", "c1"}, "gocontainer: create: unknown flag: --bogus (see 'gocontainer create --help')"},
		{[]string{"--bogus", "list"}, "gocontainer: unknown flag: --bogus"},
		{[]string{"frobnicate"}, `gocontainer: unknown command "frobnicate"`},
		{[]string{"list", "extra"}, `gocontainer: list: unexpected argument "extra" (usage: gocontainer list [flags])`},
		{[]string{"list", "--format", "yaml"}, `gocontainer: list: invalid --format "yaml": want table or json`},
		{[]string{"ps", "-f", "xml", "c1"}, `gocontainer: ps: invalid --format "xml": want table or json`},
		{[]string{"spec", "x"}, `gocontainer: spec: unexpected argument "x"`},
		{[]string{"features", "x"}, `gocontainer: features: unexpected argument "x"`},
		{[]string{"events", "--interval", "0s", "c1"}, "gocontainer: events: invalid --interval 0s: must be greater than 0"},
		{[]string{"events", "--interval", "5", "c1"}, `invalid argument "5" for "--interval" flag`},
		{[]string{"update", "--memory", "lots", "c1"}, `gocontainer: update: invalid --memory "lots": want bytes, a size like 512m, or -1`},
		{[]string{"update", "--cpu-period", "-5", "c1"}, `gocontainer: update: invalid --cpu-period "-5": want a non-negative integer`},
		{[]string{"update", "--blkio-weight", "70000", "c1"}, `gocontainer: update: invalid --blkio-weight "70000"`},
		{[]string{"update", "--pids-limit", "1.5", "c1"}, `gocontainer: update: invalid --pids-limit "1.5": want an integer`},
		{[]string{"checkpoint", "--manage-cgroups-mode", "bogus", "c1"}, `gocontainer: checkpoint: invalid --manage-cgroups-mode "bogus"`},
		{[]string{"restore", "--manage-cgroups-mode", "bogus", "c1"}, `gocontainer: restore: invalid --manage-cgroups-mode "bogus"`},
		{[]string{"checkpoint", "--page-server", "nohost", "c1"}, `gocontainer: checkpoint: invalid --page-server "nohost": want ADDRESS:PORT`},
		{[]string{"checkpoint", "--page-server", "h:port", "c1"}, `port "port" is not a number`},
		{[]string{"--log-format", "xml", "list"}, `gocontainer: invalid --log-format "xml": want text or json`},
		{[]string{"--rootless", "maybe", "list"}, `gocontainer: invalid --rootless "maybe": want true, false or auto`},
		{[]string{"--log-level", "loud", "list"}, `gocontainer: invalid --log-level "loud"`},
		{[]string{"--root", "", "list"}, "gocontainer: invalid --root: empty path"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, "_"), func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			require.Equal(t, 1, r.code)
			require.Empty(t, r.h.calls, "handler must not be called on a usage error")
			require.Contains(t, r.stderr, tc.want)
			require.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			require.True(t, strings.HasPrefix(r.stderr, "gocontainer: "), r.stderr)
			require.Empty(t, r.stdout, "no usage dump")
		})
	}
}

func TestHandlerErrorsAndExitCodes(t *testing.T) {
	r := runCLI(t, &recordingHandler{err: errors.New(`container "c1" does not exist`)}, "state", "c1")
	require.Equal(t, 1, r.code)
	require.Equal(t, "gocontainer: container \"c1\" does not exist\n", r.stderr)
	require.Empty(t, r.stdout)

	// The container process' status, silently.
	r = runCLI(t, &recordingHandler{err: &ExitError{Code: 42}}, "run", "c1")
	require.Equal(t, 42, r.code)
	require.Empty(t, r.stderr)

	r = runCLI(t, &recordingHandler{err: &ExitError{Code: 0}}, "exec", "c1", "true")
	require.Equal(t, 0, r.code)
	require.Empty(t, r.stderr)

	// A wrapped ExitError still carries its code.
	r = runCLI(t, &recordingHandler{err: errors.Join(&ExitError{Code: 137})}, "exec", "c1", "sleep")
	require.Equal(t, 137, r.code)

	// ExitError with a cause: printed, and its code.
	r = runCLI(t, &recordingHandler{err: &ExitError{Code: 255, Err: errors.New("exec failed: no such file")}}, "exec", "c1", "nope")
	require.Equal(t, 255, r.code)
	require.Equal(t, "gocontainer: exec failed: no such file\n", r.stderr)

	r = runCLI(t, &recordingHandler{err: &ExitError{Code: 0, Err: errors.New("half failed")}}, "exec", "c1", "x")
	require.Equal(t, 1, r.code, "a printed error never exits 0")
	require.Equal(t, "gocontainer: half failed\n", r.stderr)

	// A multi-line error is folded into one line.
	r = runCLI(t, &recordingHandler{err: errors.New("hook failed:\nline two\n")}, "start", "c1")
	require.Equal(t, "gocontainer: hook failed: line two\n", r.stderr)
}

type loggingHandler struct {
	recordingHandler
	logged []string
	root   string
}

func (l *loggingHandler) LogError(g *GlobalOptions, err error) {
	l.logged = append(l.logged, err.Error())
	l.root = g.Root
}

func TestErrorLoggerSeesFailures(t *testing.T) {
	h := &loggingHandler{recordingHandler: recordingHandler{err: errors.New("boom")}}
	var out, errb strings.Builder
	code := ExecuteContext(t.Context(), []string{"--root", "/r", "start", "c1"}, h, VersionInfo{}, nil, &out, &errb)
	require.Equal(t, 1, code)
	require.Equal(t, []string{"boom"}, h.logged)
	require.Equal(t, "/r", h.root)
	require.Equal(t, "gocontainer: boom\n", errb.String())

	// Usage errors are logged too (containerd reads only the log file).
	code = ExecuteContext(t.Context(), []string{"start"}, h, VersionInfo{}, nil, &out, &errb)
	require.Equal(t, 1, code)
	require.Len(t, h.logged, 2)
	require.Contains(t, h.logged[1], "missing <container-id>")

	// Exit statuses are not errors.
	h.err = &ExitError{Code: 3}
	code = ExecuteContext(t.Context(), []string{"run", "c1"}, h, VersionInfo{}, nil, &out, &errb)
	require.Equal(t, 3, code)
	require.Len(t, h.logged, 2)
}

func TestVersion(t *testing.T) {
	for _, flag := range []string{"--version", "-v"} {
		var out, errb strings.Builder
		v := VersionInfo{Version: "0.1.0", Commit: "abc123", Spec: "1.3.0", Go: "go1.26.0", Libseccomp: "2.5.4"}
		code := ExecuteContext(t.Context(), []string{flag}, &recordingHandler{}, v, nil, &out, &errb)
		require.Equal(t, 0, code)
		require.Equal(t, "runc version 0.1.0\ncommit: gocontainer-abc123\nspec: 1.3.0\ngo: go1.26.0\nlibseccomp: 2.5.4\n", out.String())
	}
	// Without a commit the version stands in; go defaults to the running
	// toolchain; libseccomp is left out when unknown.
	got := FormatVersion(VersionInfo{Version: "dev", Spec: "1.3.0"})
	require.Regexp(t, `^runc version dev\ncommit: gocontainer-dev\nspec: 1\.3\.0\ngo: go[0-9.]+\S*$`, got)
}

// TestVersionParsesAsGoRuncDoes: go-runc's Version() (containerd) takes
// the first line only with the "runc version " prefix, then the commit:
// and spec: lines.
func TestVersionParsesAsGoRuncDoes(t *testing.T) {
	got := FormatVersion(VersionInfo{Version: "1.2.3", Commit: "abc", Spec: "1.3.0"})
	lines := strings.Split(got, "\n")
	require.True(t, strings.HasPrefix(lines[0], "runc version "), got)
	require.Equal(t, "1.2.3", strings.TrimPrefix(lines[0], "runc version "))
	require.Equal(t, "commit: gocontainer-abc", lines[1])
	require.Equal(t, "spec: 1.3.0", lines[2])
}

func TestUnknownSubcommandWithHelpFails(t *testing.T) {
	for _, args := range [][]string{{"nosuch", "-h"}, {"nosuch", "--help"}, {"--root", "/x", "nosuch", "-h"}} {
		var out, errb strings.Builder
		code := ExecuteContext(t.Context(), args, &recordingHandler{}, VersionInfo{}, nil, &out, &errb)
		require.NotEqual(t, 0, code, "%v", args)
		require.Contains(t, errb.String(), `unknown command "nosuch"`)
	}
	var out, errb strings.Builder
	require.Equal(t, 0, ExecuteContext(t.Context(), []string{"help", "run"}, &recordingHandler{}, VersionInfo{}, nil, &out, &errb), errb.String())
	require.Equal(t, 0, ExecuteContext(t.Context(), []string{"run", "-h"}, &recordingHandler{}, VersionInfo{}, nil, &out, &errb), errb.String())
}

func TestHelpListsRuncCommandsAndHidesObsoleteFlags(t *testing.T) {
	r := runCLI(t, nil, "--help")
	require.Equal(t, 0, r.code)
	for _, c := range []string{"checkpoint", "create", "delete", "events", "exec", "kill", "list", "pause", "ps",
		"restore", "resume", "run", "spec", "start", "state", "update", "features"} {
		require.Contains(t, r.stdout, "\n  "+c+" ")
	}
	require.Contains(t, r.stdout, "\n  completion ")
	require.NotContains(t, r.stdout, "--criu")

	r = runCLI(t, nil, "kill", "--help")
	require.NotContains(t, r.stdout, "--all")
	r = runCLI(t, nil, "update", "--help")
	require.NotContains(t, r.stdout, "kernel-memory")
	require.Contains(t, r.stdout, "--mem-bw-schema")
	r = runCLI(t, nil, "create", "--help")
	require.NotContains(t, r.stdout, "--detach")
	require.Empty(t, r.h.calls)

	// No arguments at all: help, exit 0, like runc.
	r = runCLI(t, nil)
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "Available Commands")
}

func TestUpdateLinuxResources(t *testing.T) {
	t.Run("from flags, memory -1 implies unlimited swap", func(t *testing.T) {
		o := &UpdateOptions{Memory: ptr(int64(-1)), CPUShares: ptr(uint64(2)), CpusetCpus: ptr("0"), PidsLimit: ptr(int64(9))}
		r, err := o.LinuxResources(nil)
		require.NoError(t, err)
		require.Equal(t, int64(-1), *r.Memory.Limit)
		require.Equal(t, int64(-1), *r.Memory.Swap)
		require.Equal(t, uint64(2), *r.CPU.Shares)
		require.Equal(t, "0", r.CPU.Cpus)
		require.Nil(t, r.CPU.Quota)
		require.Equal(t, int64(9), *r.Pids.Limit)
		require.Nil(t, r.BlockIO, "untouched sections stay nil")
	})
	t.Run("explicit swap wins", func(t *testing.T) {
		o := &UpdateOptions{Memory: ptr(int64(-1)), MemorySwap: ptr(int64(1 << 30))}
		r, err := o.LinuxResources(nil)
		require.NoError(t, err)
		require.Equal(t, int64(1<<30), *r.Memory.Swap)
	})
	t.Run("nothing given", func(t *testing.T) {
		r, err := (&UpdateOptions{}).LinuxResources(nil)
		require.NoError(t, err)
		require.Nil(t, r.Memory)
		require.Nil(t, r.CPU)
		require.Nil(t, r.Pids)
	})
	t.Run("stdin JSON ignores flags", func(t *testing.T) {
		o := &UpdateOptions{Resources: "-", Memory: ptr(int64(5))}
		r, err := o.LinuxResources(strings.NewReader(`{"memory":{"limit":1048576},"pids":{"limit":10},"unified":{"io.weight":"50"}}`))
		require.NoError(t, err)
		require.Equal(t, int64(1048576), *r.Memory.Limit)
		require.Equal(t, int64(10), *r.Pids.Limit)
		require.Equal(t, "50", r.Unified["io.weight"])
	})
	t.Run("file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "r.json")
		require.NoError(t, os.WriteFile(p, []byte(`{"cpu":{"quota":20000,"period":100000}}`), 0o600))
		r, err := (&UpdateOptions{Resources: p}).LinuxResources(nil)
		require.NoError(t, err)
		require.Equal(t, int64(20000), *r.CPU.Quota)
	})
	t.Run("errors name the input", func(t *testing.T) {
		_, err := (&UpdateOptions{Resources: "-"}).LinuxResources(strings.NewReader(`{"memory":`))
		require.ErrorContains(t, err, "decode --resources stdin")
		_, err = (&UpdateOptions{Resources: "/nonexistent/r.json"}).LinuxResources(nil)
		require.ErrorContains(t, err, "/nonexistent/r.json")
		require.ErrorIs(t, err, os.ErrNotExist)
	})
}

func TestParseBytes(t *testing.T) {
	good := map[string]int64{
		"-1": -1, "0": 0, "1024": 1024, "1k": 1024, "1K": 1024, "1kb": 1024, "1KiB": 1024, "512m": 512 << 20,
		"1.5g": 3 << 29, "1 GiB": 1 << 30, "2t": 2 << 40, "1p": 1 << 50, "10b": 10,
	}
	for in, want := range good {
		got, err := parseBytes("memory", in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "b", "-2", "lots", "1x", "0x10", "1e3", "inf", "nan", "99999999p", "--1"} {
		_, err := parseBytes("memory", in)
		require.Error(t, err, in)
		require.Contains(t, err.Error(), "--memory")
	}
}

func TestUnimplementedHandler(t *testing.T) {
	var out, errb strings.Builder
	code := ExecuteContext(t.Context(), []string{"checkpoint", "c1"}, UnimplementedHandler{}, VersionInfo{}, nil, &out, &errb)
	require.Equal(t, 1, code)
	require.Equal(t, "gocontainer: checkpoint: not implemented\n", errb.String())
}

func TestNewRootCommandUsableDirectly(t *testing.T) {
	h := &recordingHandler{}
	cmd := NewRootCommand(h, VersionInfo{Version: "x"})
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"state", "c9"})
	require.NoError(t, cmd.Execute())
	require.Equal(t, &StateOptions{ID: "c9"}, h.calls[0].opts)

	// Two trees never share option structs.
	h2 := &recordingHandler{}
	cmd2 := NewRootCommand(h2, VersionInfo{})
	cmd2.SetArgs([]string{"delete", "-f", "a"})
	require.NoError(t, cmd2.Execute())
	cmd.SetArgs([]string{"delete", "b"})
	require.NoError(t, cmd.Execute())
	require.Equal(t, &DeleteOptions{ID: "a", Force: true}, h2.calls[0].opts)
	require.Equal(t, &DeleteOptions{ID: "b"}, h.calls[1].opts)
}

type streamHandler struct{ UnimplementedHandler }

func (streamHandler) State(_ context.Context, g *GlobalOptions, o *StateOptions) error {
	_, err := g.Stdout.Write([]byte(`{"id":"` + o.ID + `"}`))
	return err
}

func TestHandlerWritesToCommandStdout(t *testing.T) {
	var out, errb strings.Builder
	code := ExecuteContext(t.Context(), []string{"state", "c1"}, streamHandler{}, VersionInfo{}, nil, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	require.Equal(t, `{"id":"c1"}`, out.String())
}

func TestCommandNameSkipsGlobalFlagsAndTheirValues(t *testing.T) {
	root, _ := newRoot(&recordingHandler{}, VersionInfo{}, nil)
	pf := root.PersistentFlags()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"start", "c1"}, "start"},
		{[]string{"--root", "/run/x", "--debug", "delete", "-f", "c1"}, "delete"},
		{[]string{"--root=/run/x", "--log", "/l.json", "--log-format", "json", "create", "c1"}, "create"},
		{[]string{"-root", "/run/x", "-debug", "kill", "c1"}, "kill"},
		{[]string{"--systemd-cgroup", "run", "c1"}, "run"},
		{[]string{"--version"}, ""},
		{[]string{"--", "start"}, ""},
		{nil, ""},
	} {
		require.Equal(t, tc.want, commandName(pf, tc.args), "%q", tc.args)
	}
}

// Every subcommand is reachable when it is the only one built, and is the
// command its table entry names.
func TestRootForOneSubcommandBuildsJustThatOne(t *testing.T) {
	full, _ := newRoot(&recordingHandler{}, VersionInfo{}, nil)
	require.Len(t, full.Commands(), 18)
	for _, c := range full.Commands() {
		root, _ := newRoot(&recordingHandler{}, VersionInfo{}, []string{"--root", "/x", c.Name(), "id"})
		if c.Name() == "completion" {
			// The completion script describes the whole tree.
			require.Len(t, root.Commands(), 18)
			continue
		}
		require.Len(t, root.Commands(), 1, c.Name())
		require.Equal(t, c.Name(), root.Commands()[0].Name())
	}
	root, _ := newRoot(&recordingHandler{}, VersionInfo{}, []string{"help", "create"})
	require.Len(t, root.Commands(), 18)
}
