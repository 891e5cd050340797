package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// execContainer is a running container for exec tests.
type execContainer struct {
	id   string
	cg   string // its cgroupsPath
	pid  int    // its init, in our pid namespace
	spec *specs.Spec
	b    *bundle
}

// startForExec runs a detached busybox container (sleep, FOO=1 in its
// env, its own cgroup) after edit changes the spec, and deletes it when
// the test ends.
func startForExec(t *testing.T, r *rt, id string, edit func(*specs.Spec)) *execContainer {
	t.Helper()
	spec := baseSpec("sleep", "1000")
	spec.Process.Env = append(spec.Process.Env, "FOO=1", "KEEP=yes")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	if edit != nil {
		edit(spec)
	}
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, id)
	// Inits of earlier tests' containers, re-parented to us, may be
	// zombies still; requireOnlyInit looks for the exec's own.
	reapZombies()
	r.ok(t, "run", "--detach", "--bundle", b.dir, id)
	pid := r.mustState(t, id).Pid
	eventually(t, 10*time.Second, "the container to exec sleep", func() bool {
		comm, _ := os.ReadFile(filepathJoinProc(pid, "comm"))
		return string(comm) == "sleep\n"
	})
	return &execContainer{id: id, cg: cg, pid: pid, spec: spec, b: b}
}

// statusField is the value of a /proc/<pid>/status line in text.
func statusLine(text, key string) string {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// requireOnlyInit checks that nothing but the init is left in the
// container's cgroup, and no zombie among our children.
func requireOnlyInit(t *testing.T, c *execContainer) {
	t.Helper()
	eventually(t, 5*time.Second, "only the init in the container's cgroup", func() bool {
		pids := pidsOf(t, c.cg)
		return len(pids) == 1 && pids[0] == c.pid
	})
	for _, p := range ourChildren() {
		require.NotEqual(t, "Z", p.state, "zombie child of the test: %d %q", p.pid, p.cmdline)
	}
}

// exec prints the command's output and returns the process's status;
// 0, 3 and death by SIGKILL (128+9) come back as runc reports them.
func TestExecOutputAndExitCodes(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-codes", nil)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
	}{
		{"output_and_zero", []string{"echo", "hello", "world"}, 0, "hello world\n"},
		{"exit_3", []string{"sh", "-c", "echo before; exit 3"}, 3, "before\n"},
		{"killed_by_sigkill", []string{"sh", "-c", "kill -9 $$"}, 137, ""},
		{"stderr_kept_apart", []string{"sh", "-c", "echo out; echo err >&2"}, 0, "out\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := r.run(t, append([]string{"exec", c.id}, tc.args...)...)
			require.Equal(t, tc.code, res.code, "%s", res)
			require.Equal(t, tc.stdout, res.stdout, "%s", res)
			if tc.name == "stderr_kept_apart" {
				require.Equal(t, "err\n", res.stderr, "%s", res)
			}
		})
	}
	requireOnlyInit(t, c)
}

// runc execs into a created (not yet started) container too: the init is
// set up and waits on the start barrier. A stopped container refuses.
func TestExecIntoCreatedAndStoppedContainers(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("sh", "-c", "exit 0")
	b := newBundle(t, spec)
	id := "exec-created"
	r.deleteOnCleanup(t, id)
	r.ok(t, "create", "--bundle", b.dir, id)
	res := r.run(t, "exec", id, "sh", "-c", "echo in-created; cat /proc/1/cmdline | tr '\\0' ' '")
	require.Equal(t, 0, res.code, "%s", res)
	require.Contains(t, res.stdout, "in-created\n", "%s", res)
	require.Equal(t, "created", r.mustState(t, id).Status, "exec must not start the container")
	r.ok(t, "start", id)
	r.waitStatus(t, id, "stopped")
	res = r.run(t, "exec", id, "true")
	requireOneLineError(t, res, "stopped")
	require.Equal(t, 255, res.code)
	res = r.run(t, "exec", "no-such-container", "true")
	requireOneLineError(t, res, "does not exist")
}

// A paused container refuses exec; with --ignore-paused the process is
// started into the frozen cgroup and runs once the container resumes.
func TestExecIntoPausedContainer(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-paused", nil)
	r.ok(t, "pause", c.id)
	res := r.run(t, "exec", c.id, "echo", "no")
	requireOneLineError(t, res, "paused", "--ignore-paused")
	require.Equal(t, 255, res.code)
	require.Equal(t, []int{c.pid}, pidsOf(t, c.cg), "a refused exec starts nothing")

	done := make(chan result, 1)
	go func() { done <- r.run(t, "exec", "--ignore-paused", c.id, "echo", "after resume") }()
	// The exec joins the frozen cgroup, where it waits.
	eventually(t, 10*time.Second, "the exec to join the frozen cgroup", func() bool {
		return len(pidsOf(t, c.cg)) > 1
	})
	select {
	case res := <-done:
		t.Fatalf("exec finished while the container was paused: %s", res)
	default:
	}
	r.ok(t, "resume", c.id)
	select {
	case res := <-done:
		require.Equal(t, 0, res.code, "%s", res)
		require.Equal(t, "after resume\n", res.stdout)
	case <-time.After(cmdTimeout):
		t.Fatal("exec --ignore-paused did not finish after resume")
	}
	requireOnlyInit(t, c)
}

// The exec'd process gets the container's process settings with the
// flags applied on top, as seen from inside.
func TestExecProcessSettingsFromInside(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-settings", func(s *specs.Spec) {
		s.Process.User.AdditionalGids = []uint32{3}
	})
	status := func(t *testing.T, flags ...string) string {
		t.Helper()
		args := append(append([]string{"exec"}, flags...), c.id, "cat", "/proc/self/status")
		res := r.run(t, args...)
		require.Equal(t, 0, res.code, "%s", res)
		return res.stdout
	}
	t.Run("defaults_are_the_containers", func(t *testing.T) {
		st := status(t)
		require.Equal(t, "0\t0\t0\t0", statusLine(st, "Uid"))
		require.Equal(t, "3", statusLine(st, "Groups"))
		// CAP_KILL(5), CAP_NET_BIND_SERVICE(10), CAP_AUDIT_WRITE(29).
		require.Equal(t, "0000000020000420", statusLine(st, "CapEff"))
		require.Equal(t, "0000000020000420", statusLine(st, "CapBnd"))
		require.Equal(t, "0", statusLine(st, "NoNewPrivs"))
	})
	t.Run("user_and_additional_gids", func(t *testing.T) {
		st := status(t, "--user", "1000:5", "--additional-gids", "7", "-g", "8")
		require.Equal(t, "1000\t1000\t1000\t1000", statusLine(st, "Uid"))
		require.Equal(t, "5\t5\t5\t5", statusLine(st, "Gid"))
		require.Equal(t, "3 7 8", statusLine(st, "Groups"), "added to the container's groups")
		require.Equal(t, "0000000000000000", statusLine(st, "CapEff"), "a non-root user loses its effective capabilities")
	})
	t.Run("uid_only_keeps_the_gid", func(t *testing.T) {
		st := status(t, "-u", "1000")
		require.Equal(t, "1000\t1000\t1000\t1000", statusLine(st, "Uid"))
		require.Equal(t, "0\t0\t0\t0", statusLine(st, "Gid"))
	})
	t.Run("cap_adds_to_bounding_effective_permitted_never_inheritable", func(t *testing.T) {
		st := status(t, "--cap", "CAP_SYS_ADMIN", "--cap", "CAP_NET_RAW")
		// + CAP_NET_RAW(13), CAP_SYS_ADMIN(21).
		for _, set := range []string{"CapEff", "CapPrm", "CapBnd"} {
			require.Equal(t, "0000000020202420", statusLine(st, set), set)
		}
		require.Equal(t, "0000000000000000", statusLine(st, "CapInh"))
		require.Equal(t, "0000000000000000", statusLine(st, "CapAmb"))
	})
	t.Run("no_new_privs", func(t *testing.T) {
		require.Equal(t, "1", statusLine(status(t, "--no-new-privs"), "NoNewPrivs"))
	})
	t.Run("env_overrides_by_key_and_adds", func(t *testing.T) {
		res := r.run(t, "exec", "-e", "FOO=2", "-e", "NEW=a,b", c.id, "env")
		require.Equal(t, 0, res.code, "%s", res)
		env := strings.Split(strings.TrimSpace(res.stdout), "\n")
		require.Contains(t, env, "FOO=2")
		require.NotContains(t, env, "FOO=1")
		require.Contains(t, env, "NEW=a,b")
		require.Contains(t, env, "KEEP=yes")
		require.Contains(t, env, "HOME=/root")
		require.Contains(t, env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
	})
	t.Run("home_is_kept_when_set", func(t *testing.T) {
		// The container's env has HOME=/root; like runc, a HOME that is
		// set is not replaced by the user's from /etc/passwd.
		res := r.run(t, "exec", "-u", "1", c.id, "sh", "-c", "echo $HOME")
		require.Equal(t, 0, res.code, "%s", res)
		require.Equal(t, "/root\n", res.stdout)
	})
	t.Run("cwd", func(t *testing.T) {
		res := r.run(t, "exec", "--cwd", "/tmp", c.id, "pwd")
		require.Equal(t, 0, res.code, "%s", res)
		require.Equal(t, "/tmp\n", res.stdout)
	})
	requireOnlyInit(t, c)
}

// --process takes the whole process from a file; the container's process
// settings are not merged in.
func TestExecWithProcessJSON(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-pjson", nil)
	p := specs.Process{
		Args: []string{"sh", "-c", "echo $X $FOO; pwd; grep -E '^(Uid|Gid|CapEff|NoNewPrivs):' /proc/self/status"},
		Env:  []string{"PATH=/bin", "X=fromfile", "X=last"},
		Cwd:  "/tmp",
		User: specs.User{UID: 1, GID: 1},
		Capabilities: &specs.LinuxCapabilities{
			Bounding: []string{"CAP_CHOWN"}, Effective: []string{"CAP_CHOWN"}, Permitted: []string{"CAP_CHOWN"},
		},
		NoNewPrivileges: true,
	}
	raw, err := json.Marshal(p)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "process.json")
	require.NoError(t, os.WriteFile(path, raw, 0o644))
	res := r.run(t, "exec", "--process", path, c.id)
	require.Equal(t, 0, res.code, "%s", res)
	// uid 1 keeps CAP_CHOWN only if ambient; a non-root exec drops it.
	require.Equal(t, "last\n/tmp\nUid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\n", res.stdout)

	require.NoError(t, os.WriteFile(path, []byte(`{"args": ["true"], "cwd": "relative"}`), 0o644))
	requireOneLineError(t, r.run(t, "exec", "-p", path, c.id), "process.cwd")
	requireOneLineError(t, r.run(t, "exec", "-p", filepath.Join(t.TempDir(), "missing.json"), c.id), "--process", "no such file")
	requireOnlyInit(t, c)
}

// The exec'd process is in every namespace of the init (it sees the
// container's pid 1) and in its cgroups.
func TestExecJoinsNamespacesAndCgroup(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-join", nil)
	nsNames := []string{"ipc", "mnt", "net", "pid", "uts", "user", "cgroup"}
	res := r.run(t, "exec", c.id, "sh", "-c", "for n in "+strings.Join(nsNames, " ")+"; do readlink /proc/self/ns/$n; done; hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; cat /proc/self/cgroup")
	require.Equal(t, 0, res.code, "%s", res)
	lines := strings.Split(res.stdout, "\n")
	for i, n := range nsNames {
		want, err := os.Readlink(filepathJoinProc(c.pid, "ns/"+n))
		require.NoError(t, err)
		require.Equal(t, want, lines[i], "%s namespace of the exec'd process", n)
	}
	require.Equal(t, "gcit", lines[len(nsNames)], "hostname (uts namespace)")
	require.Equal(t, "sleep 1000 ", lines[len(nsNames)+1], "pid 1 in the exec's pid namespace is the container's init")
	initCg, err := os.ReadFile(filepathJoinProc(c.pid, "cgroup"))
	require.NoError(t, err)
	require.Equal(t, string(initCg), strings.Join(lines[len(nsNames)+2:], "\n"), "/proc/self/cgroup of the exec'd process")

	ps := r.run(t, "exec", c.id, "ps", "-o", "pid,args")
	require.Equal(t, 0, ps.code, "%s", ps)
	require.Regexp(t, `(?m)^\s*1 sleep 1000$`, ps.stdout)
	requireOnlyInit(t, c)
}

// --cgroup puts the process into an existing sub-cgroup: a bare path in the
// cgroup v2 hierarchy, ctrl:path in that v1 controller's.
func TestExecSubCgroup(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-subcg", nil)
	var unified, memory string
	for _, d := range cgroupDirs(c.cg) {
		switch {
		case strings.HasPrefix(d, "/sys/fs/cgroup/unified/") || (d == "/sys/fs/cgroup"+cgroupRel(c.cg) && fileExists(filepath.Join("/sys/fs/cgroup", "cgroup.controllers"))):
			unified = d
		case strings.HasPrefix(d, "/sys/fs/cgroup/memory/"):
			memory = d
		}
	}
	if unified == "" || memory == "" {
		t.Skip("needs a hybrid host: cgroup2 and a v1 memory hierarchy")
	}
	require.NoError(t, os.Mkdir(filepath.Join(unified, "sub"), 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(memory, "msub"), 0o755))

	res := r.run(t, "exec", "--cgroup", "sub", "--", c.id, "cat", "/proc/self/cgroup")
	require.Equal(t, 0, res.code, "%s", res)
	require.Contains(t, res.stdout, "\n0::"+cgroupRel(c.cg)+"/sub\n", "%s", res)
	require.Regexp(t, `(?m)^\d+:memory:`+cgroupRel(c.cg)+`$`, res.stdout)

	res = r.run(t, "exec", "--cgroup", "memory:msub", c.id, "cat", "/proc/self/cgroup")
	require.Equal(t, 0, res.code, "%s", res)
	require.Regexp(t, `(?m)^\d+:memory:`+cgroupRel(c.cg)+`/msub$`, res.stdout)
	require.Contains(t, res.stdout, "\n0::"+cgroupRel(c.cg)+"\n", "%s", res)

	requireOneLineError(t, r.run(t, "exec", "--cgroup", "memory:nope", c.id, "true"), "memory:nope", "does not exist")
	requireOneLineError(t, r.run(t, "exec", "--cgroup", "memory:../..", c.id, "true"), "not below")
	requireOneLineError(t, r.run(t, "exec", "--cgroup", "nosuchctrl:x", c.id, "true"), "nosuchctrl")
	requireOnlyInit(t, c)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// --detach returns while the process runs, with its pid in the pid file
// (no newline); the process is in the container's pid namespace and has
// only stdio open.
func TestExecDetachWritesPidFile(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-detach", nil)
	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	start := time.Now()
	res := r.run(t, "exec", "--detach", "--pid-file", pidFile, c.id, "sleep", "1000")
	require.Equal(t, 0, res.code, "%s", res)
	require.Less(t, time.Since(start), 10*time.Second)
	raw, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "\n", "pid file must have no newline")
	pid, err := strconv.Atoi(string(raw))
	require.NoError(t, err)
	require.True(t, pidAlive(pid), "the detached process %d runs", pid)
	killDetached(t, pid)
	status, err := os.ReadFile(filepathJoinProc(pid, "status"))
	require.NoError(t, err)
	nspid := strings.Fields(statusLine(string(status), "NSpid"))
	require.Len(t, nspid, 2, "NSpid: in our and in the container's pid namespace")
	require.Contains(t, pidsOf(t, c.cg), pid)
	eventually(t, 10*time.Second, "the exec'd process to run sleep", func() bool {
		comm, _ := os.ReadFile(filepathJoinProc(pid, "comm"))
		return string(comm) == "sleep\n"
	})
	requireStdioOnly(t, pid)
	entries, err := os.ReadDir(filepath.Dir(pidFile))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temp file left next to the pid file")
}

// killDetached kills and reaps a detached exec'd process (re-parented to
// us, the subreaper) when the test ends, before the container is deleted:
// the container's pid namespace only goes away once it is reaped.
func killDetached(t *testing.T, pid int) {
	t.Cleanup(func() {
		_ = unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		_, _ = unix.Wait4(pid, &ws, 0, nil)
	})
}

// requireStdioOnly checks pid has fds 0, 1 and 2 and nothing else.
func requireStdioOnly(t *testing.T, pid int) {
	t.Helper()
	ents, err := os.ReadDir(filepathJoinProc(pid, "fd"))
	require.NoError(t, err)
	got := map[string]string{}
	for _, e := range ents {
		got[e.Name()], _ = os.Readlink(filepath.Join(filepathJoinProc(pid, "fd"), e.Name()))
	}
	require.Len(t, got, 3, "fds of process %d: %v", pid, got)
	for _, fd := range []string{"0", "1", "2"} {
		require.Contains(t, got, fd, "fds of process %d: %v", pid, got)
	}
}

// --preserve-fds passes fds 3.. of the caller through, and LISTEN_FDS
// (socket activation of the runtime itself) adds to them.
func TestExecPreserveFds(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-fds", nil)
	file := func(content string) *os.File {
		p := filepath.Join(t.TempDir(), "f")
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		f, err := os.Open(p)
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		return f
	}
	res := r.runWithFiles(t, []*os.File{file("first\n"), file("second\n")}, "exec", "--preserve-fds", "1", c.id,
		"sh", "-c", "cat <&3; cat <&4 2>/dev/null || echo fd4-closed")
	require.Equal(t, 0, res.code, "%s", res)
	require.Equal(t, "first\nfd4-closed\n", res.stdout, "fd 3 passed, fd 4 (not preserved) not")

	// More fds than the caller has open: the free numbers would be the
	// runtime's own files (pidfd, init socket, ...), so exec refuses.
	res = r.runWithFiles(t, []*os.File{file("only\n")}, "exec", "--preserve-fds", "3", c.id, "true")
	requireOneLineError(t, res, "--preserve-fds 3", "fd 4", "not passed")

	t.Run("listen_fds", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
		defer cancel()
		// LISTEN_PID must be the runtime's own pid: a shell that execs it.
		cmd := exec.CommandContext(ctx, "sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"`, "sh",
			r.bin, "--root", r.root, "exec", "--preserve-fds", "1", c.id, "sh", "-c", "cat <&3; cat <&4")
		cmd.ExtraFiles = []*os.File{file("listen\n"), file("preserved\n")}
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Equal(t, "listen\npreserved\n", string(out))
	})
	requireOnlyInit(t, c)
}

// An exec that cannot start says why in one line, exits 255 like runc,
// and leaves no process behind.
func TestExecFailuresLeaveNothing(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-fail", nil)
	tests := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"missing_binary", []string{c.id, "nope"}, []string{`"nope"`, "not found"}},
		{"missing_absolute_binary", []string{c.id, "/bin/nope"}, []string{"/bin/nope", "no such file"}},
		{"not_executable", []string{c.id, "/etc/passwd"}, []string{"/etc/passwd", "permission denied"}},
		{"bad_cwd", []string{"--cwd", "/nonexistent", c.id, "true"}, []string{"/nonexistent", "no such file"}},
		{"relative_cwd", []string{"--cwd", "tmp", c.id, "true"}, []string{"--cwd", "absolute"}},
		{"invalid_uid", []string{"--user", "4294967295", c.id, "true"}, []string{"--user", "4294967295"}},
		{"user_name", []string{"--user", "nobody", c.id, "true"}, []string{"--user", "nobody"}},
		{"bad_env", []string{"-e", "NOEQUALS", c.id, "true"}, []string{"NOEQUALS"}},
		{"unknown_cap", []string{"--cap", "CAP_NOPE", c.id, "true"}, []string{"CAP_NOPE"}},
		{"detached_tty_without_console_socket", []string{"--detach", "--tty", c.id, "true"}, []string{"cannot allocate tty", "console socket"}},
		{"console_socket_without_tty", []string{"--detach", "--console-socket", "/nonexistent.sock", c.id, "true"}, []string{"cannot use console socket", "tty"}},
		{"console_socket_in_the_foreground", []string{"--tty", "--console-socket", "/nonexistent.sock", c.id, "true"}, []string{"console socket", "--detach"}},
		{"apparmor_without_apparmor", []string{"--apparmor", "p", c.id, "true"}, []string{"--apparmor"}},
		{"no_command", []string{c.id}, []string{"command"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if b, _ := os.ReadFile("/sys/module/apparmor/parameters/enabled"); tc.name == "apparmor_without_apparmor" && strings.HasPrefix(string(b), "Y") {
				t.Skip("AppArmor is enabled on this host")
			}
			res := r.run(t, append([]string{"exec"}, tc.args...)...)
			requireOneLineError(t, res, tc.wants...)
			requireOnlyInit(t, c)
		})
	}
}

// 50 execs in a row leave no zombie and no process in the container, and
// no fd of theirs in the init or in a later exec'd process.
func TestExecManySequentialLeaveNoZombieOrFd(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-many", nil)
	fdsOf := func(pid int) []string {
		ents, err := os.ReadDir(filepathJoinProc(pid, "fd"))
		require.NoError(t, err)
		var out []string
		for _, e := range ents {
			l, _ := os.Readlink(filepath.Join(filepathJoinProc(pid, "fd"), e.Name()))
			out = append(out, e.Name()+" "+l)
		}
		return out
	}
	initFds := fdsOf(c.pid)
	for i := range 50 {
		res := r.run(t, "exec", c.id, "sh", "-c", "echo "+strconv.Itoa(i))
		require.Equal(t, 0, res.code, "exec %d: %s", i, res)
		require.Equal(t, strconv.Itoa(i)+"\n", res.stdout)
	}
	requireOnlyInit(t, c)
	// No zombie anywhere in the container's pid namespace either (the
	// exec'd processes are reaped by the runtime, not left to pid 1).
	res := r.run(t, "exec", c.id, "sh", "-c", "grep -l '^State:.*Z' /proc/[0-9]*/status || echo none")
	require.Equal(t, 0, res.code, "%s", res)
	require.Equal(t, "none\n", res.stdout)
	require.Equal(t, initFds, fdsOf(c.pid), "fds of the init after 50 execs")

	pidFile := filepath.Join(t.TempDir(), "pid")
	r.ok(t, "exec", "-d", "--pid-file", pidFile, c.id, "sleep", "1000")
	raw, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(string(raw))
	require.NoError(t, err)
	killDetached(t, pid)
	eventually(t, 10*time.Second, "the exec'd process to run sleep", func() bool {
		comm, _ := os.ReadFile(filepathJoinProc(pid, "comm"))
		return string(comm) == "sleep\n"
	})
	requireStdioOnly(t, pid)
}

// A foreground exec relays the signals it gets to the process.
func TestExecForwardsSignals(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-sig", nil)
	out := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(out)
	require.NoError(t, err)
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := r.command(ctx, "exec", c.id, "sh", "-c", `trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done`)
	cmd.Stdout, cmd.Stderr = f, f
	require.NoError(t, cmd.Start())
	eventually(t, 10*time.Second, "the exec'd shell to trap TERM", func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), "ready")
	})
	require.NoError(t, cmd.Process.Signal(unix.SIGTERM))
	err = cmd.Wait()
	require.Equal(t, 7, exitCode(err), "exit code of the exec (%v): %s", err, readFile(t, out))
	require.Equal(t, "ready\ngot-term\n", readFile(t, out))
	requireOnlyInit(t, c)
}

// An exec'd process in a container whose seccomp profile has NOTIFY rules
// gets its own listener, handed to the agent at listenerPath with the
// container process state, like create's.
func TestExecSeccompNotifyListener(t *testing.T) {
	r := newRuntime(t)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	require.NoError(t, err)
	stop := make(chan struct{})
	agents := []*notifyAgent{}
	t.Cleanup(func() {
		close(stop)
		ln.Close()
		for _, a := range agents {
			<-a.done
		}
	})
	// One agent per connection: the first gets the init's listener
	// (create), the second the exec'd process's.
	serve := func() *notifyAgent {
		a := &notifyAgent{answer: unix.ENOMEDIUM, done: make(chan struct{})}
		agents = append(agents, a)
		go func() {
			defer close(a.done)
			if err := a.serve(ln, stop); err != nil {
				a.mu.Lock()
				a.err = err
				a.mu.Unlock()
			}
		}()
		return a
	}
	serve()
	c := startForExec(t, r, "exec-notify", func(s *specs.Spec) {
		s.Linux.Seccomp = notifyProfile(sock)
	})
	second := serve()
	res := r.run(t, "exec", c.id, "sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?; grep '^Seccomp:' /proc/self/status")
	require.Equal(t, 0, res.code, "%s", res)
	require.Equal(t, "mkdir: can't create directory '/tmp/x': No medium found\nrc=1\nSeccomp:\t2\n", res.stdout, "%s", res)
	second.mu.Lock()
	defer second.mu.Unlock()
	require.NoError(t, second.err)
	st := second.state
	require.Equal(t, []string{"seccompFd"}, st.Fds)
	require.Equal(t, "gcit-agent-metadata", st.Metadata)
	require.NotEqual(t, c.pid, st.Pid, "the exec'd process's pid, not the init's")
	require.Positive(t, st.Pid)
	require.Equal(t, c.pid, st.State.Pid, "state.pid is the container's init")
	require.Equal(t, specs.StateRunning, st.State.Status)
	require.Equal(t, c.id, st.State.ID)
	require.Equal(t, "anon_inode:seccomp notify", second.fdTarget)
	require.True(t, slices.ContainsFunc(second.syscalls, func(nr int32) bool {
		return nr == unix.SYS_MKDIR || nr == unix.SYS_MKDIRAT
	}), "the agent answered the exec'd process's mkdir: %v", second.syscalls)
}

// In a container with its own user namespace the exec'd process joins it
// (user first): it sees the container's id maps, is root inside, and a uid
// the namespace does not map fails to start with a one-line reason.
func TestExecJoinsTheUserNamespace(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("sleep", "1000")
	spec.Linux.CgroupsPath = uniqueCgroup(t)
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}}
	spec.Linux.UIDMappings, spec.Linux.GIDMappings = maps, maps
	b := newBundle(t, spec)
	// The container's root is host uid 100000: it must be able to walk
	// the bundle's private temp directories.
	require.NoError(t, os.Chmod(b.dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(b.dir), 0o755))
	id := "exec-userns"
	r.deleteOnCleanup(t, id)
	reapZombies()
	r.ok(t, "run", "--detach", "--bundle", b.dir, id)
	c := &execContainer{id: id, cg: spec.Linux.CgroupsPath, pid: r.mustState(t, id).Pid}

	res := r.run(t, "exec", id, "sh", "-c", "cat /proc/self/uid_map; id -u; readlink /proc/self/ns/user")
	require.Equal(t, 0, res.code, "%s", res)
	userNS, err := os.Readlink(filepathJoinProc(c.pid, "ns/user"))
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("%10d %10d %10d\n0\n%s\n", 0, 100000, 1000, userNS), res.stdout)

	res = r.run(t, "exec", "-u", "5000", id, "id")
	requireOneLineError(t, res, "setresuid 5000", "not mapped")
	require.Equal(t, 255, res.code)
	requireOnlyInit(t, c)
}

// Namespaces baseSpec leaves out: a new cgroup namespace (the exec'd
// process sees its cgroup as "/", like the init) and a time namespace
// with an offset (the exec'd process's boot time clock has it too).
func TestExecJoinsCgroupAndTimeNamespaces(t *testing.T) {
	if _, err := os.Stat("/proc/self/ns/time"); err != nil {
		t.Skip("no time namespaces on this kernel")
	}
	r := newRuntime(t)
	const year = 365 * 24 * 3600
	c := startForExec(t, r, "exec-timens", func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces,
			specs.LinuxNamespace{Type: specs.CgroupNamespace}, specs.LinuxNamespace{Type: specs.TimeNamespace})
		s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: year}}
	})
	// The memory controller's line on a hybrid host, the one v2 line on a pure v2 host.
	cgLine, cgWant := "memory", `^\d+:memory:/$`
	if pureV2() {
		cgLine, cgWant = "^0::", `^0::/$`
	}
	res := r.run(t, "exec", c.id, "sh", "-c", "readlink /proc/self/ns/cgroup; readlink /proc/self/ns/time; grep '"+cgLine+"' /proc/self/cgroup; cut -d. -f1 /proc/uptime")
	require.Equal(t, 0, res.code, "%s", res)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.Len(t, lines, 4, "%s", res)
	for i, n := range []string{"cgroup", "time"} {
		want, err := os.Readlink(filepathJoinProc(c.pid, "ns/"+n))
		require.NoError(t, err)
		require.Equal(t, want, lines[i], "%s namespace", n)
	}
	require.Regexp(t, cgWant, lines[2], "the container's cgroup is the namespace's root")
	up, err := strconv.Atoi(lines[3])
	require.NoError(t, err)
	require.Greater(t, up, year, "uptime inside includes the boottime offset")
	requireOnlyInit(t, c)
}
