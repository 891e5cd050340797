package libcontainer

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestIDMapPlan(t *testing.T) {
	one := func(c, h, n uint32) []specs.LinuxIDMapping {
		return []specs.LinuxIDMapping{{ContainerID: c, HostID: h, Size: n}}
	}
	two := append(one(0, 1000, 1), specs.LinuxIDMapping{ContainerID: 1, HostID: 100000, Size: 65536})
	found := func(name string) (string, error) { return "/usr/bin/" + name, nil }
	missing := func(name string) (string, error) { return "", errors.New(name + " not found") }
	cases := []struct {
		name      string
		w         idMapWriter
		file      string
		maps      []specs.LinuxIDMapping
		want      idMapPlan
		wantError string
	}{
		{"root writes anything", idMapWriter{capSetuid: true, capSetgid: true}, "uid_map", two, idMapPlan{}, ""},
		{"root gid_map keeps setgroups", idMapWriter{capSetuid: true, capSetgid: true}, "gid_map", two, idMapPlan{}, ""},
		{"own uid alone is direct", idMapWriter{euid: 1000, egid: 1000}, "uid_map", one(0, 1000, 1), idMapPlan{}, ""},
		{"own gid alone denies setgroups", idMapWriter{euid: 1000, egid: 1000}, "gid_map", one(0, 1000, 1), idMapPlan{denySetgroups: true}, ""},
		{"own uid mapped to non-root is direct", idMapWriter{euid: 1000, egid: 1000}, "uid_map", one(1000, 1000, 1), idMapPlan{}, ""},
		{"several ranges need newuidmap", idMapWriter{euid: 1000, egid: 1000, lookPath: found}, "uid_map", two, idMapPlan{helper: "/usr/bin/newuidmap"}, ""},
		{"several gid ranges need newgidmap", idMapWriter{euid: 1000, egid: 1000, lookPath: found}, "gid_map", two, idMapPlan{helper: "/usr/bin/newgidmap"}, ""},
		{"another uid needs newuidmap", idMapWriter{euid: 1000, egid: 1000, lookPath: found}, "uid_map", one(0, 1001, 1), idMapPlan{helper: "/usr/bin/newuidmap"}, ""},
		{"own uid with size 2 needs newuidmap", idMapWriter{euid: 1000, egid: 1000, lookPath: found}, "uid_map", one(0, 1000, 2), idMapPlan{helper: "/usr/bin/newuidmap"}, ""},
		{"uid 0 without CAP_SETUID maps itself only", idMapWriter{euid: 0, egid: 0, lookPath: found}, "uid_map", one(0, 0, 1), idMapPlan{}, ""},
		{"no helper installed", idMapWriter{euid: 1000, egid: 1000, lookPath: missing}, "gid_map", two, idMapPlan{},
			"linux.gidMappings [0:1000:1 1:100000:65536]: an unprivileged user can only map its own id (1000) alone; other ids need newgidmap (Debian package uidmap) and ranges in /etc/subgid: newgidmap not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.w.plan(c.file, c.maps)
			if c.wantError != "" {
				require.EqualError(t, err, c.wantError)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

func TestUIDMapIsNested(t *testing.T) {
	for m, want := range map[string]bool{
		"         0          0 4294967295\n": false,
		"0 0 4294967295":                     false,
		"         0       1000          1\n": true,
		"0 1000 1\n1 100000 65536\n":         true,
		"0 0 4294967294\n":                   true,
		"":                                   true,
	} {
		require.Equal(t, want, uidMapIsNested(m), "%q", m)
	}
}

func TestRunningInUserNSMatchesProcSelf(t *testing.T) {
	b, err := os.ReadFile("/proc/self/uid_map")
	require.NoError(t, err)
	require.Equal(t, strings.Fields(string(b))[2] != "4294967295", RunningInUserNS())
}

// TestIDMapWriterWritesOwnIDUnprivileged runs the writer as an
// unprivileged process would: it unshares a user namespace in a child
// (running as nobody) and writes that child's maps without any
// capability, which the kernel allows only for the writer's own ids with
// setgroups denied first.
func TestIDMapWriterWritesOwnIDUnprivileged(t *testing.T) {
	if os.Getenv("GC_IDMAP_HELPER") == "1" {
		idMapHelper()
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to an unprivileged uid")
	}
	self, err := os.Executable()
	require.NoError(t, err)
	// The test binary may sit in a directory nobody cannot enter.
	dir, err := os.MkdirTemp("", "gc-idmap-")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	require.NoError(t, os.Chmod(dir, 0o755))
	bin := dir + "/test"
	data, err := os.ReadFile(self)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bin, data, 0o755))
	cmd := exec.Command(bin, "-test.run=^TestIDMapWriterWritesOwnIDUnprivileged$")
	cmd.Env = append(os.Environ(), "GC_IDMAP_HELPER=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "uid_map=0 65534 1|gid_map=0 65534 1|setgroups=deny")
}

// idMapHelper runs as uid 65534: a child waits in a new user namespace
// while the writer maps it.
func idMapHelper() {
	child := exec.Command("/bin/sh", "-c", "read x; echo \"uid_map=$(cat /proc/self/uid_map | xargs)|gid_map=$(cat /proc/self/gid_map | xargs)|setgroups=$(cat /proc/self/setgroups)\"")
	child.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWUSER}
	stdin, err := child.StdinPipe()
	if err != nil {
		panic(err)
	}
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	if err := child.Start(); err != nil {
		panic(err)
	}
	w := newIDMapWriter(slog.New(slog.DiscardHandler))
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 65534, Size: 1}}
	if err := w.write(child.Process.Pid, &specs.Linux{UIDMappings: maps, GIDMappings: maps}); err != nil {
		os.Stdout.WriteString("write: " + err.Error() + "\n")
		os.Exit(1)
	}
	stdin.Write([]byte("go\n"))
	stdin.Close()
	if err := child.Wait(); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}
