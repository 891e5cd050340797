package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// counterArgs counts up ten times a second into /count (written to a
// temp file and renamed, so a reader never sees a torn number).
var counterArgs = []string{"sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /count.tmp; mv /count.tmp /count; sleep 0.1; done"}

// needCriu skips unless a CRIU that works on this kernel is installed
// (hack/criu.sh builds one; CI runs it from hack/setup.sh).
func needCriu(t *testing.T) {
	t.Helper()
	path, err := exec.LookPath("criu")
	if err != nil {
		t.Skip("criu is not installed: run hack/criu.sh")
	}
	if out, err := exec.Command(path, "check").CombinedOutput(); err != nil {
		t.Skipf("`criu check` fails on this kernel: %v: %s", err, out)
	}
}

// criuMemTrack reports whether the kernel tracks dirty memory, which
// pre-dumps need.
func criuMemTrack() bool {
	out, err := exec.Command("criu", "check", "--feature", "mem_dirty_track").CombinedOutput()
	return err == nil && !strings.Contains(string(out), "Dirty tracking is OFF")
}

// count reads the counter the container writes, 0 while there is none.
func count(t *testing.T, b *bundle) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(b.rootfs, "count"))
	if os.IsNotExist(err) {
		return 0
	}
	require.NoError(t, err)
	n, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	require.NoError(t, err, "count file %q", raw)
	return n
}

// countPasses waits until the counter is above n and returns it.
func countPasses(t *testing.T, b *bundle, n int, what string) int {
	t.Helper()
	var c int
	eventually(t, 10*time.Second, what, func() bool {
		c = count(t, b)
		return c > n
	})
	return c
}

// requireCountStopped checks that the counter no longer moves.
func requireCountStopped(t *testing.T, b *bundle) int {
	t.Helper()
	before := count(t, b)
	time.Sleep(400 * time.Millisecond)
	require.Equal(t, before, count(t, b), "the counter still counts: its process still runs")
	return before
}

// startCounter runs the counter container detached and waits until it
// has counted a few times.
func startCounter(t *testing.T, r *rt, id string) (*bundle, *specs.Spec, string) {
	t.Helper()
	spec := baseSpec(counterArgs...)
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, id)
	r.ok(t, "run", "--detach", "--bundle", b.dir, id)
	countPasses(t, b, 3, "the counter to start counting")
	return b, spec, cg
}

// requireInCgroup checks that pid is in cgroupsPath cg in every hierarchy.
func requireInCgroup(t *testing.T, pid int, cg string) {
	t.Helper()
	dirs := cgroupDirs(cg)
	require.NotEmpty(t, dirs)
	for _, d := range dirs {
		procs, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		require.NoError(t, err, "cgroup %s", d)
		require.Contains(t, strings.Fields(string(procs)), strconv.Itoa(pid), "restored init %d not in %s", pid, d)
	}
}

func TestCheckpointRestoreKeepsCounting(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)

	t.Run("same_id", func(t *testing.T) {
		snap := takeSnapshot(t)
		id := "ckpt-same"
		b, _, cg := startCounter(t, r, id)
		img := filepath.Join(t.TempDir(), "image")
		r.ok(t, "checkpoint", "--image-path", img, id)
		_, err := os.Stat(filepath.Join(img, "inventory.img"))
		require.NoError(t, err, "checkpoint wrote no images")
		// runc's behaviour: the checkpointed container is gone.
		_, res := r.state(t, id)
		require.NotEqual(t, 0, res.code, "state after checkpoint: %s", res)
		last := requireCountStopped(t, b)
		r.requireNothingLeft(t, snap, id, cg)

		r.ok(t, "restore", "--detach", "--image-path", img, "--bundle", b.dir, id)
		st := r.mustState(t, id)
		require.Equal(t, "running", st.Status)
		require.Equal(t, b.dir, st.Bundle)
		requireInCgroup(t, st.Pid, cg)
		// The restored process continues from where it was, not from 0.
		first := count(t, b)
		require.GreaterOrEqual(t, first, last, "the counter went back: the process started over")
		countPasses(t, b, last+3, "the restored counter to count on")

		r.ok(t, "kill", id, "KILL")
		r.waitStatus(t, id, "stopped")
		r.ok(t, "delete", id)
		r.requireNothingLeft(t, snap, id, cg)
	})

	t.Run("new_id_and_cgroup", func(t *testing.T) {
		snap := takeSnapshot(t)
		id, newID := "ckpt-old", "ckpt-new"
		b, spec, cg := startCounter(t, r, id)
		img := filepath.Join(t.TempDir(), "image")
		r.ok(t, "checkpoint", "--image-path", img, id)
		last := requireCountStopped(t, b)

		newCg := uniqueCgroup(t)
		spec.Linux.CgroupsPath = newCg
		b.write(t, spec)
		r.deleteOnCleanup(t, newID)
		pidFile := filepath.Join(t.TempDir(), "pid")
		r.ok(t, "restore", "-d", "--image-path", img, "--bundle", b.dir, "--pid-file", pidFile, newID)
		st := r.mustState(t, newID)
		require.Equal(t, "running", st.Status)
		require.Equal(t, newID, st.ID)
		raw, err := os.ReadFile(pidFile)
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(st.Pid), string(raw), "restore --pid-file")
		requireInCgroup(t, st.Pid, newCg)
		for _, d := range cgroupDirs(cg) {
			_, err := os.Stat(d)
			require.True(t, os.IsNotExist(err), "the old cgroup %s is still there", d)
		}
		countPasses(t, b, last+3, "the counter restored under a new id to count on")
		_, res := r.state(t, id)
		require.NotEqual(t, 0, res.code, "the old id exists again: %s", res)

		r.ok(t, "delete", "--force", newID)
		r.requireNothingLeft(t, snap, newID, newCg)
	})

	t.Run("leave_running", func(t *testing.T) {
		snap := takeSnapshot(t)
		id := "ckpt-leave"
		b, _, cg := startCounter(t, r, id)
		img := filepath.Join(t.TempDir(), "image")
		work := filepath.Join(t.TempDir(), "work")
		r.ok(t, "checkpoint", "--leave-running", "--image-path", img, "--work-path", work, id)
		_, err := os.Stat(filepath.Join(work, "dump.log"))
		require.NoError(t, err, "--work-path holds CRIU's log")
		st := r.mustState(t, id)
		require.Equal(t, "running", st.Status)
		now := countPasses(t, b, count(t, b)+2, "the counter to go on after --leave-running")

		// The image restores too, once the original is gone.
		r.ok(t, "delete", "--force", id)
		r.requireNothingLeft(t, snap, id, cg)
		r.ok(t, "restore", "-d", "--image-path", img, "--bundle", b.dir, id)
		require.Equal(t, "running", r.mustState(t, id).Status)
		// The images were taken before `now`: the counter is set back.
		eventually(t, 5*time.Second, "the restored counter to write", func() bool { return count(t, b) < now })
		r.ok(t, "delete", "--force", id)
		r.requireNothingLeft(t, snap, id, cg)
	})

	t.Run("restore_then_exec", func(t *testing.T) {
		snap := takeSnapshot(t)
		id := "ckpt-exec"
		b, _, cg := startCounter(t, r, id)
		img := filepath.Join(t.TempDir(), "image")
		r.ok(t, "checkpoint", "--image-path", img, id)
		r.ok(t, "restore", "-d", "--image-path", img, "--bundle", b.dir, id)
		res := r.ok(t, "exec", id, "cat", "/count")
		n, err := strconv.Atoi(strings.TrimSpace(res.stdout))
		require.NoError(t, err, "exec output %q", res.stdout)
		require.Greater(t, n, 0)
		// exec joins the restored pid namespace: the counter is pid 1.
		res = r.ok(t, "exec", id, "cat", "/proc/1/cmdline")
		require.Contains(t, res.stdout, "while :", "pid 1 of the restored container")
		res = r.ok(t, "ps", "--format", "json", id)
		require.Contains(t, res.stdout, strconv.Itoa(r.mustState(t, id).Pid))
		r.ok(t, "pause", id)
		require.Equal(t, "paused", r.mustState(t, id).Status)
		r.ok(t, "resume", id)
		r.ok(t, "kill", id, "KILL")
		r.waitStatus(t, id, "stopped")
		r.ok(t, "delete", id)
		r.requireNothingLeft(t, snap, id, cg)
	})

	t.Run("output_to_a_log_file_goes_on", func(t *testing.T) {
		// The container's stdout is a host file the caller opened for
		// appending (run -d >>log): CRIU dumps it as an external file and
		// the restore hands it over again from its own stdout.
		snap := takeSnapshot(t)
		id := "ckpt-log"
		spec := baseSpec("sh", "-c", "i=0; while :; do i=$((i+1)); echo line $i; sleep 0.1; done")
		cg := uniqueCgroup(t)
		spec.Linux.CgroupsPath = cg
		b := newBundle(t, spec)
		r.deleteOnCleanup(t, id)
		logPath := filepath.Join(t.TempDir(), "out.log")
		runAppending := func(args ...string) {
			t.Helper()
			f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
			require.NoError(t, err)
			defer f.Close()
			ctx, cancel := context.WithTimeout(t.Context(), cmdTimeout)
			defer cancel()
			cmd := r.command(ctx, args...)
			// Files, not pipes: the detached container keeps its stdio.
			errPath := filepath.Join(t.TempDir(), "stderr")
			stderr, err := os.Create(errPath)
			require.NoError(t, err)
			defer stderr.Close()
			cmd.Stdout, cmd.Stderr = f, stderr
			require.NoError(t, cmd.Run(), "gocontainer %s: %s", strings.Join(args, " "), readFile(t, errPath))
		}
		lines := func() int { return strings.Count(readFile(t, logPath), "\n") }
		runAppending("run", "-d", "--bundle", b.dir, id)
		eventually(t, 10*time.Second, "output in the log", func() bool { return lines() > 3 })
		img := filepath.Join(t.TempDir(), "image")
		r.ok(t, "checkpoint", "--image-path", img, id)
		n := lines()
		runAppending("restore", "-d", "--image-path", img, "--bundle", b.dir, id)
		eventually(t, 10*time.Second, "the restored process to write to the same log", func() bool { return lines() > n+3 })
		out := readFile(t, logPath)
		require.Contains(t, out, "line "+strconv.Itoa(n+1)+"\n", "the restored process goes on counting in the log")
		r.ok(t, "delete", "-f", id)
		r.requireNothingLeft(t, snap, id, cg)
	})

	t.Run("foreground_restore", func(t *testing.T) {
		// Without --detach, restore waits for the restored process, exits
		// with its status and removes the container (runc's behaviour).
		snap := takeSnapshot(t)
		id := "ckpt-fg"
		spec := baseSpec("sh", "-c", "i=0; while [ $i -lt 25 ]; do i=$((i+1)); echo $i > /count.tmp; mv /count.tmp /count; sleep 0.1; done; exit 7")
		cg := uniqueCgroup(t)
		spec.Linux.CgroupsPath = cg
		b := newBundle(t, spec)
		r.deleteOnCleanup(t, id)
		r.ok(t, "run", "-d", "--bundle", b.dir, id)
		countPasses(t, b, 3, "the counter to start")
		img := filepath.Join(t.TempDir(), "image")
		r.ok(t, "checkpoint", "--image-path", img, id)
		last := requireCountStopped(t, b)
		require.Less(t, last, 25)
		res := r.run(t, "restore", "--image-path", img, "--bundle", b.dir, id)
		require.Equal(t, 7, res.code, "foreground restore exits with the restored process's status\n%s", res)
		require.Equal(t, 25, count(t, b), "the restored process ran to its end")
		_, st := r.state(t, id)
		require.NotEqual(t, 0, st.code, "the container outlived its foreground restore")
		r.requireNothingLeft(t, snap, id, cg)
	})

	t.Run("page_server", func(t *testing.T) {
		// runc's page-server case: the memory pages go to a `criu
		// page-server` over TCP, the rest to --image-path; the restore
		// takes both from one directory.
		snap := takeSnapshot(t)
		id := "ckpt-ps"
		b, _, cg := startCounter(t, r, id)
		psDir := t.TempDir()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ps := exec.Command("criu", "page-server", "--images-dir", psDir, "--port", strconv.Itoa(port), "--address", "127.0.0.1", "-o", "ps.log", "-v4")
		require.NoError(t, ps.Start())
		psDone := make(chan error, 1)
		go func() { psDone <- ps.Wait() }()
		t.Cleanup(func() { _ = ps.Process.Kill() })
		// Not probed by connecting: the page server serves one connection.
		eventually(t, 10*time.Second, "criu page-server to listen", func() bool { return tcpListening(t, port) })
		img := filepath.Join(t.TempDir(), "image")
		r.ok(t, "checkpoint", "--page-server", "127.0.0.1:"+strconv.Itoa(port), "--image-path", img, id)
		last := requireCountStopped(t, b)
		select {
		case <-psDone:
		case <-time.After(10 * time.Second):
			t.Fatal("criu page-server did not exit after the dump")
		}
		pages, err := filepath.Glob(filepath.Join(psDir, "pages-*.img"))
		require.NoError(t, err)
		require.NotEmpty(t, pages, "the page server received no pages")
		local, _ := filepath.Glob(filepath.Join(img, "pages-*.img"))
		require.Empty(t, local, "pages were written locally, not to the page server")
		// The page server holds the pagemaps too.
		remote, err := filepath.Glob(filepath.Join(psDir, "*.img"))
		require.NoError(t, err)
		for _, p := range remote {
			out, err := exec.Command("cp", p, img).CombinedOutput()
			require.NoError(t, err, "%s", out)
		}
		r.ok(t, "restore", "-d", "--image-path", img, "--bundle", b.dir, id)
		countPasses(t, b, last+3, "the counter restored from page-server images to count on")
		r.ok(t, "delete", "-f", id)
		r.requireNothingLeft(t, snap, id, cg)
	})

	t.Run("pre_dump_then_dump", func(t *testing.T) {
		if !criuMemTrack() {
			t.Skip("the kernel has no dirty memory tracking (CONFIG_MEM_SOFT_DIRTY): CRIU cannot pre-dump; TestCheckpointBadInput checks the error")
		}
		snap := takeSnapshot(t)
		id := "ckpt-pre"
		b, _, cg := startCounter(t, r, id)
		dir := t.TempDir()
		r.ok(t, "checkpoint", "--pre-dump", "--image-path", filepath.Join(dir, "parent"), id)
		require.Equal(t, "running", r.mustState(t, id).Status)
		countPasses(t, b, count(t, b)+2, "the counter to go on after the pre-dump")
		r.ok(t, "checkpoint", "--image-path", filepath.Join(dir, "image"), "--parent-path", "../parent", id)
		last := requireCountStopped(t, b)
		r.ok(t, "restore", "-d", "--image-path", filepath.Join(dir, "image"), "--bundle", b.dir, id)
		countPasses(t, b, last+3, "the counter restored from pre-dump + dump to count on")
		r.ok(t, "delete", "--force", id)
		r.requireNothingLeft(t, snap, id, cg)
	})
}

// Hooks run at restore as runc runs them: prestart and createRuntime once
// CRIU has made the namespaces, poststart once the process runs, poststop
// at delete; the checkpoint's own delete runs poststop too.
func TestRestoreRunsHooks(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	snap := takeSnapshot(t)
	id := "ckpt-hooks"
	spec := baseSpec(counterArgs...)
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	log := filepath.Join(t.TempDir(), "hooks.log")
	hook := func(name string) specs.Hook {
		// The state on stdin carries the pid: it must be set for every hook.
		return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", `read s; case "$s" in *'"pid":'[1-9]*) echo ` + name + ` >> ` + log + `;; *) echo ` + name + `-nopid >> ` + log + `;; esac`}}
	}
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, id)
	r.ok(t, "run", "-d", "--bundle", b.dir, id)
	countPasses(t, b, 2, "the counter to start")
	img := filepath.Join(t.TempDir(), "image")
	r.ok(t, "checkpoint", "--image-path", img, id)

	spec.Hooks = &specs.Hooks{
		//lint:ignore SA1019 prestart is deprecated but runtimes still run it, at restore too.
		Prestart:      []specs.Hook{hook("prestart")},
		CreateRuntime: []specs.Hook{hook("createRuntime")},
		Poststart:     []specs.Hook{hook("poststart")},
		Poststop:      []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo poststop >> " + log}}},
	}
	b.write(t, spec)
	r.ok(t, "restore", "-d", "--image-path", img, "--bundle", b.dir, id)
	require.Equal(t, "prestart\ncreateRuntime\npoststart\n", readFile(t, log))
	r.ok(t, "delete", "-f", id)
	require.Equal(t, "prestart\ncreateRuntime\npoststart\npoststop\n", readFile(t, log))
	r.requireNothingLeft(t, snap, id, cg)
}

func TestCheckpointBadInput(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	snap := takeSnapshot(t)
	id := "ckpt-bad"
	b, _, cg := startCounter(t, r, id)

	t.Run("restore_without_images", func(t *testing.T) {
		for name, img := range map[string]string{"missing": filepath.Join(t.TempDir(), "nothing"), "empty": t.TempDir()} {
			res := r.run(t, "restore", "-d", "--image-path", img, "--bundle", b.dir, "ckpt-none")
			require.NotEqual(t, 0, res.code, name)
			requireOneLineError(t, res, img)
			require.Contains(t, res.stderr, "holds no checkpoint", name)
			r.requireNothingLeft(t, snap, "ckpt-none", "", r.mustState(t, id).Pid)
		}
	})

	t.Run("restore_onto_an_existing_id", func(t *testing.T) {
		img := filepath.Join(t.TempDir(), "image")
		r.ok(t, "checkpoint", "--leave-running", "--image-path", img, id)
		before := r.mustState(t, id)
		res := r.run(t, "restore", "-d", "--image-path", img, "--bundle", b.dir, id)
		require.NotEqual(t, 0, res.code)
		requireOneLineError(t, res, "already exists")
		after := r.mustState(t, id)
		require.Equal(t, before.Pid, after.Pid, "the existing container was touched")
		require.Equal(t, "running", after.Status)
	})

	t.Run("pre_dump_without_dirty_tracking", func(t *testing.T) {
		if criuMemTrack() {
			t.Skip("this kernel tracks dirty memory: pre_dump_then_dump covers --pre-dump")
		}
		img := filepath.Join(t.TempDir(), "parent")
		res := r.run(t, "checkpoint", "--pre-dump", "--image-path", img, id)
		require.NotEqual(t, 0, res.code)
		requireOneLineError(t, res, "CONFIG_MEM_SOFT_DIRTY")
		_, err := os.Stat(img)
		require.True(t, os.IsNotExist(err), "a failed pre-dump left %s", img)
		require.Equal(t, "running", r.mustState(t, id).Status)
	})

	t.Run("bad_parent_path", func(t *testing.T) {
		res := r.run(t, "checkpoint", "--image-path", filepath.Join(t.TempDir(), "i"), "--parent-path", "/nonexistent/parent", id)
		require.NotEqual(t, 0, res.code)
		require.Equal(t, "running", r.mustState(t, id).Status)
	})

	t.Run("criu_too_old_or_missing", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "criu"), []byte("#!/bin/sh\necho 'Version: 3.17'\n"), 0o755))
		for what, path := range map[string]string{"too old": dir, "missing": t.TempDir()} {
			img := filepath.Join(t.TempDir(), "image")
			cmd := r.command(t.Context(), "checkpoint", "--image-path", img, id)
			cmd.Env = append(os.Environ(), "PATH="+path)
			out, err := cmd.CombinedOutput()
			require.Error(t, err, what)
			res := result{stderr: string(out), code: 1}
			if what == "too old" {
				requireOneLineError(t, res, "is CRIU 3.17, this kernel needs CRIU")
			} else {
				requireOneLineError(t, res, "criu is not installed")
			}
			_, serr := os.Stat(img)
			require.True(t, os.IsNotExist(serr), "%s: image dir made", what)
			require.Equal(t, "running", r.mustState(t, id).Status, what)
		}
	})

	t.Run("checkpoint_stopped_and_paused", func(t *testing.T) {
		// A paused container checkpoints (CRIU keeps the frozen cgroup
		// frozen, as with runc) and restores running.
		r.ok(t, "pause", id)
		img := filepath.Join(t.TempDir(), "paused")
		r.ok(t, "checkpoint", "--image-path", img, id)
		last := requireCountStopped(t, b)
		r.ok(t, "restore", "-d", "--image-path", img, "--bundle", b.dir, id)
		countPasses(t, b, last+2, "a container checkpointed while paused to count on after restore")

		r.ok(t, "kill", id, "KILL")
		r.waitStatus(t, id, "stopped")
		res := r.run(t, "checkpoint", "--image-path", filepath.Join(t.TempDir(), "stopped"), id)
		require.NotEqual(t, 0, res.code)
		requireOneLineError(t, res, "it is stopped")
		r.ok(t, "delete", id)
		r.requireNothingLeft(t, snap, id, cg)
	})
}

// tcpListening reports whether something listens on the TCP port in this
// network namespace (/proc/net/tcp, state 0A), without connecting.
func tcpListening(t *testing.T, port int) bool {
	t.Helper()
	raw, err := os.ReadFile("/proc/net/tcp")
	require.NoError(t, err)
	want := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(raw), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 3 && strings.HasSuffix(f[1], want) && f[3] == "0A" {
			return true
		}
	}
	return false
}

// A shell on a terminal is checkpointed and restored onto a new pty whose
// master the restore sends to --console-socket (CRIU's orphan pty
// master); the shell keeps its variables and answers on the new terminal.
func TestCheckpointRestoreTerminalThroughConsoleSocket(t *testing.T) {
	needCriu(t)
	r := newRuntime(t)
	snap := takeSnapshot(t)
	id := "ckpt-tty"
	spec := terminalSpec("sh")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, id)
	cr := newConsoleReceiver(t)
	r.ok(t, "run", "-d", "--console-socket", cr.path, "--bundle", b.dir, id)
	master := cr.receive(t)
	out := readTerminal(master)
	_, err := master.WriteString("X=kept-across-restore; echo set-$X\n")
	require.NoError(t, err)
	out.waitFor(t, `(?m)^set-kept-across-restore\r?$`)

	img := filepath.Join(t.TempDir(), "image")
	r.ok(t, "checkpoint", "--image-path", img, id)
	res := r.run(t, "restore", "-d", "--image-path", img, "--bundle", b.dir, id)
	requireOneLineError(t, res, "--console-socket")
	r.requireNothingLeft(t, snap, id, cg)

	cr2 := newConsoleReceiver(t)
	r.ok(t, "restore", "-d", "--console-socket", cr2.path, "--image-path", img, "--bundle", b.dir, id)
	master2 := cr2.receive(t)
	out2 := readTerminal(master2)
	_, err = master2.WriteString("echo after-$X; tty\n")
	require.NoError(t, err)
	out2.waitFor(t, `(?m)^after-kept-across-restore\r?$`)
	out2.waitFor(t, `(?m)^/dev/pts/\d+\r?$`)
	_, err = master2.WriteString("exit 4\n")
	require.NoError(t, err)
	r.waitStatus(t, id, "stopped")
	r.ok(t, "delete", id)
	r.requireNothingLeft(t, snap, id, cg)
}
