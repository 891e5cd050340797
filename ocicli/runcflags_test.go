package ocicli

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// runcFlags is runc's flag surface per command: runc 1.1.5's "--help" (as
// shipped by Debian 12, captured with "runc <cmd> --help") plus the flags
// later runc releases added (pidfd-socket, cpu-burst, cpu-idle,
// tcp-skip-in-flight, link-remap) and hidden ones clients still send.
// Each entry is "name" or "name/shorthand". A missing flag here means a
// client that works with runc fails with us.
var runcFlags = map[string][]string{
	"":           {"debug", "log", "log-format", "root", "criu", "systemd-cgroup", "rootless", "help/h", "version/v"},
	"create":     {"bundle/b", "console-socket", "pidfd-socket", "pid-file", "no-pivot", "no-new-keyring", "preserve-fds", "detach/d"},
	"run":        {"bundle/b", "console-socket", "pidfd-socket", "detach/d", "keep", "pid-file", "no-subreaper", "no-pivot", "no-new-keyring", "preserve-fds"},
	"start":      {},
	"state":      {},
	"kill":       {"all/a"},
	"delete":     {"force/f"},
	"list":       {"format/f", "quiet/q"},
	"exec":       {"console-socket", "pidfd-socket", "cwd", "env/e", "tty/t", "user/u", "additional-gids/g", "process/p", "detach/d", "pid-file", "process-label", "apparmor", "no-new-privs", "cap/c", "preserve-fds", "cgroup", "ignore-paused"},
	"ps":         {"format/f"},
	"pause":      {},
	"resume":     {},
	"events":     {"interval", "stats"},
	"update":     {"resources/r", "blkio-weight", "cpu-period", "cpu-quota", "cpu-burst", "cpu-share", "cpu-rt-period", "cpu-rt-runtime", "cpu-idle", "cpuset-cpus", "cpuset-mems", "memory", "memory-reservation", "memory-swap", "pids-limit", "l3-cache-schema", "mem-bw-schema", "kernel-memory", "kernel-memory-tcp"},
	"spec":       {"bundle/b", "rootless"},
	"features":   {},
	"checkpoint": {"image-path", "work-path", "parent-path", "leave-running", "tcp-established", "tcp-skip-in-flight", "link-remap", "ext-unix-sk", "shell-job", "lazy-pages", "status-fd", "page-server", "file-locks", "pre-dump", "manage-cgroups-mode", "empty-ns", "auto-dedup"},
	"restore":    {"console-socket", "image-path", "work-path", "tcp-established", "ext-unix-sk", "shell-job", "file-locks", "manage-cgroups-mode", "bundle/b", "detach/d", "pid-file", "no-subreaper", "no-pivot", "empty-ns", "auto-dedup", "lazy-pages", "lsm-profile", "lsm-mount-context"},
}

func TestEveryRuncFlagIsAccepted(t *testing.T) {
	root := NewRootCommand(&recordingHandler{}, VersionInfo{Version: "x"})
	// cobra adds --help and --version lazily, at execution.
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	for name, flags := range runcFlags {
		cmd := root
		if name != "" {
			var err error
			cmd, _, err = root.Find([]string{name})
			require.NoError(t, err, name)
			require.Equal(t, name, cmd.Name())
		}
		for _, spec := range flags {
			long, short, _ := strings.Cut(spec, "/")
			f := cmd.Flags().Lookup(long)
			if f == nil {
				f = root.PersistentFlags().Lookup(long)
			}
			require.NotNil(t, f, "%s --%s", name, long)
			require.Equal(t, short, f.Shorthand, "%s --%s shorthand", name, long)
		}
	}
	// And no subcommand beyond runc's (plus cobra's help).
	n := 0
	for _, c := range root.Commands() {
		// help is cobra's; completion is ours (completion.go).
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		_, ok := runcFlags[c.Name()]
		require.True(t, ok, "unexpected subcommand %s", c.Name())
		n++
	}
	require.Equal(t, len(runcFlags)-1, n, "every runc subcommand exists")
}
