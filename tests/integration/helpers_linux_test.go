package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// cmdTimeout bounds every runtime invocation: a hung runtime must fail the
// test, not the whole run.
const cmdTimeout = 30 * time.Second

var (
	rootfsOnce sync.Once
	rootfsDir  string
	rootfsErr  error

	subreaperOnce sync.Once
	subreaperErr  error

	// cgSeq makes cgroupsPath values unique within this test process; the
	// pid makes them unique between concurrent runs.
	cgSeq   int
	cgSeqMu sync.Mutex
)

// rt drives the built runtime with its own --root under a temp dir.
type rt struct {
	bin  string
	root string
}

// result is what one runtime invocation printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %q\nstderr: %q", r.code, r.stdout, r.stderr)
}

// ociState is the subset of `state` output the tests check (runc's names).
type ociState struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     string            `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations"`
}

// newRuntime skips unless GOCONTAINER names the binary and we are root, and
// makes this process a child subreaper so that every process the runtime
// leaves behind (an init orphaned by a killed create, a detached container)
// is re-parented to the test and can be found by leftovers().
func newRuntime(t *testing.T) *rt {
	t.Helper()
	bin := os.Getenv("GOCONTAINER")
	if bin == "" {
		t.Skip("GOCONTAINER is not set: run hack/test-integration.sh, or set it to the absolute path of the built binary")
	}
	if !filepath.IsAbs(bin) {
		t.Skipf("GOCONTAINER=%q is not an absolute path", bin)
	}
	if os.Geteuid() != 0 {
		t.Skip("integration tests need root (namespaces, cgroups, mounts)")
	}
	_, err := os.Stat(bin)
	require.NoError(t, err, "GOCONTAINER binary")
	subreaperOnce.Do(func() {
		subreaperErr = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	})
	require.NoError(t, subreaperErr, "prctl(PR_SET_CHILD_SUBREAPER)")
	return &rt{bin: bin, root: filepath.Join(t.TempDir(), "root")}
}

func (r *rt) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.bin, append([]string{"--root", r.root}, args...)...)
	cmd.Stdin = nil
	return cmd
}

// run runs the runtime to completion and returns what it printed. Output
// goes to files, not pipes: the container inherits the runtime's stdio
// (create, run --detach), and a pipe it holds open would never see EOF.
func (r *rt) run(t *testing.T, args ...string) result {
	t.Helper()
	return r.runWithFiles(t, nil, args...)
}

// runWithFiles is run with extra open files passed as fd 3, 4, ...
func (r *rt) runWithFiles(t *testing.T, extra []*os.File, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := r.command(ctx, args...)
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	require.NoError(t, err)
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	require.NoError(t, err)
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.ExtraFiles = extra
	err = cmd.Run()
	res := result{stdout: readFile(t, stdout.Name()), stderr: readFile(t, stderr.Name())}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = exitCode(err)
		if ctx.Err() != nil {
			t.Fatalf("%s %s: timed out after %s\n%s", r.bin, strings.Join(args, " "), cmdTimeout, res)
		}
	default:
		t.Fatalf("%s %s: %v", r.bin, strings.Join(args, " "), err)
	}
	return res
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// ok runs the runtime and requires exit status 0.
func (r *rt) ok(t *testing.T, args ...string) result {
	t.Helper()
	res := r.run(t, args...)
	require.Equal(t, 0, res.code, "gocontainer %s\n%s", strings.Join(args, " "), res)
	return res
}

// state returns the parsed state, or the failed result.
func (r *rt) state(t *testing.T, id string) (ociState, result) {
	t.Helper()
	res := r.run(t, "state", id)
	var st ociState
	if res.code == 0 {
		require.NoError(t, json.Unmarshal([]byte(res.stdout), &st), "state %s output: %s", id, res.stdout)
	}
	return st, res
}

func (r *rt) mustState(t *testing.T, id string) ociState {
	t.Helper()
	st, res := r.state(t, id)
	require.Equal(t, 0, res.code, "state %s\n%s", id, res)
	return st
}

// waitStatus polls `state` until the container has the status.
func (r *rt) waitStatus(t *testing.T, id, want string) ociState {
	t.Helper()
	var last ociState
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		last = r.mustState(t, id)
		if last.Status == want {
			return last
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("container %s: status %q after 10s, want %q", id, last.Status, want)
	return last
}

// deleteOnCleanup force-deletes the container when the test ends, whatever
// state it is in; an id that does not exist is fine.
func (r *rt) deleteOnCleanup(t *testing.T, id string) {
	t.Helper()
	t.Cleanup(func() {
		// A pid namespace's init only finishes dying once every process
		// of the namespace is reaped; as the subreaper, that is our job
		// for processes of other containers that joined the namespace.
		reapZombies()
		ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
		defer cancel()
		cmd := r.command(ctx, "delete", "-f", id)
		cmd.WaitDelay = time.Second
		out, err := cmd.CombinedOutput()
		if err != nil && !isNotExist(string(out)) {
			t.Logf("cleanup: delete -f %s: %v: %s", id, err, out)
		}
	})
}

// isNotExist reports whether a runtime error says the container does not exist.
func isNotExist(stderr string) bool {
	s := strings.ToLower(stderr)
	return strings.Contains(s, "does not exist") || strings.Contains(s, "not found") || strings.Contains(s, "no such")
}

// uniqueCgroup returns an absolute cgroupsPath no other test or run uses
// (with the systemd driver, systemdDriver, the systemd form
// system.slice:gcit:<pid>-<n>, unit gcit-<pid>-<n>.scope), and removes its
// (empty) directories, and under systemd stops its unit, when the test
// ends so a failed test leaves nothing in the hierarchy roots.
func uniqueCgroup(t *testing.T) string {
	t.Helper()
	cgSeqMu.Lock()
	cgSeq++
	n := cgSeq
	cgSeqMu.Unlock()
	p := fmt.Sprintf("/gcit-%d-%d", os.Getpid(), n)
	if systemdDriver() {
		p = fmt.Sprintf("system.slice:gcit:%d-%d", os.Getpid(), n)
	}
	t.Cleanup(func() {
		if systemdDriver() {
			// A failed test's scope: the unit goes, and its cgroup with it.
			ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
			defer cancel()
			_ = exec.CommandContext(ctx, "systemctl", "stop", "--quiet", filepath.Base(cgroupRel(p))).Run()
		}
		for _, d := range cgroupDirs(p) {
			_ = os.Remove(d)
		}
	})
	return p
}

// cgroupHierarchies lists every mounted cgroup hierarchy root (v1
// controllers, name=systemd, cgroup2), from /proc/self/mountinfo.
func cgroupHierarchies() []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var roots []string
	for _, line := range strings.Split(string(data), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		fstype := strings.Fields(post)[0]
		if fstype != "cgroup" && fstype != "cgroup2" {
			continue
		}
		f := strings.Fields(pre)
		if len(f) >= 5 && f[3] == "/" {
			roots = append(roots, f[4])
		}
	}
	return roots
}

// systemdDriver reports whether the runtime under test runs with the
// systemd cgroup driver (GOCONTAINER_TEST_SYSTEMD_CGROUP=1: hack/vm/suite.sh
// sets it for "integration@systemd", whose runtime is a wrapper adding
// --systemd-cgroup). uniqueCgroup then gives systemd's slice:prefix:name
// form and cgroupRel maps it to the scope's cgroup.
func systemdDriver() bool {
	return os.Getenv("GOCONTAINER_TEST_SYSTEMD_CGROUP") == "1"
}

// skipUnderSystemd skips a test that cannot apply to the systemd driver,
// with the reason, when the tests run with it; otherwise it does nothing.
func skipUnderSystemd(t *testing.T, why string) {
	t.Helper()
	if systemdDriver() {
		t.Skip("systemd cgroup driver: " + why)
	}
}

// cgroupRel is the path, relative to a hierarchy's root, of the cgroup of
// cgroupsPath cg: cg itself for the cgroupfs driver (byte for byte); with
// the systemd driver a "slice:prefix:name" is the scope prefix-name.scope
// below the slice's directories (a-b.slice is a.slice/a-b.slice), as
// docs/systemd.md lays them out.
func cgroupRel(cg string) string {
	if !systemdDriver() {
		return cg
	}
	f := strings.Split(cg, ":")
	if len(f) != 3 {
		return cg
	}
	slice, prefix, name := f[0], f[1], f[2]
	if slice == "" {
		slice = "system.slice"
	}
	dir := "/"
	if slice != "-.slice" {
		parts := strings.Split(strings.TrimSuffix(slice, ".slice"), "-")
		for i := range parts {
			dir = filepath.Join(dir, strings.Join(parts[:i+1], "-")+".slice")
		}
	}
	unit := name + ".scope"
	if prefix != "" {
		unit = prefix + "-" + unit
	}
	return filepath.Join(dir, unit)
}

// cgroupDirs is where cgroupsPath would be in every hierarchy.
func cgroupDirs(cgPath string) []string {
	var dirs []string
	for _, r := range cgroupHierarchies() {
		dirs = append(dirs, filepath.Join(r, cgroupRel(cgPath)))
	}
	return dirs
}

// rootfs returns a busybox root filesystem built once per test process
// (or GOCONTAINER_ROOTFS, which hack/test-integration.sh caches).
func rootfs(t *testing.T) string {
	t.Helper()
	rootfsOnce.Do(func() {
		if d := os.Getenv("GOCONTAINER_ROOTFS"); d != "" {
			rootfsDir = d
			return
		}
		dir, err := os.MkdirTemp("", "gcit-rootfs-")
		if err != nil {
			rootfsErr = err
			return
		}
		out, err := exec.Command("../../hack/mkrootfs.sh", dir).CombinedOutput()
		if err != nil {
			rootfsErr = fmt.Errorf("hack/mkrootfs.sh %s: %v: %s", dir, err, out)
			return
		}
		rootfsDir = dir
	})
	require.NoError(t, rootfsErr)
	_, err := os.Stat(filepath.Join(rootfsDir, "bin", "busybox"))
	require.NoError(t, err, "rootfs %s has no /bin/busybox", rootfsDir)
	return rootfsDir
}

// baseSpec is a minimal busybox container: no terminal, its own pid, ipc,
// uts, mount and network namespaces, /proc and a tmpfs /dev, no cgroup
// resources (so the runtime has nothing to warn about on stderr).
func baseSpec(args ...string) *specs.Spec {
	return &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Args: args,
			Env:  []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"},
			Cwd:  "/",
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  []string{"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"},
				Effective: []string{"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"},
				Permitted: []string{"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"},
			},
		},
		Root:     &specs.Root{Path: "rootfs"},
		Hostname: "gcit",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
				{Type: specs.MountNamespace}, {Type: specs.NetworkNamespace},
			},
		},
	}
}

// bundle is a bundle directory with its own copy of the busybox rootfs.
type bundle struct {
	dir    string
	rootfs string
}

// newBundle writes spec (after mutate) as DIR/config.json next to a private
// copy of the rootfs, so tests may change the rootfs freely.
func newBundle(t *testing.T, spec *specs.Spec) *bundle {
	t.Helper()
	dir := t.TempDir()
	b := &bundle{dir: dir, rootfs: filepath.Join(dir, "rootfs")}
	out, err := exec.Command("cp", "-a", rootfs(t), b.rootfs).CombinedOutput()
	require.NoError(t, err, "copy rootfs: %s", out)
	b.write(t, spec)
	return b
}

func (b *bundle) write(t *testing.T, spec *specs.Spec) {
	t.Helper()
	data, err := json.MarshalIndent(spec, "", "\t")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(b.dir, "config.json"), data, 0o644))
}

// snapshot is what the host looked like before a test ran a container, to
// tell afterwards what the runtime left behind.
type snapshot struct {
	mounts map[string]bool
}

func takeSnapshot(t *testing.T) snapshot {
	t.Helper()
	return snapshot{mounts: mountSet(t)}
}

// mountSet keys each mount by its id and mount point.
func mountSet(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	require.NoError(t, err)
	set := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 {
			set[f[0]+" "+f[4]] = true
		}
	}
	return set
}

// leftover describes what a container left on the host.
type leftover struct {
	stateDir  bool
	cgroups   []string
	mounts    []string
	processes []string
}

func (l leftover) empty() bool {
	return !l.stateDir && len(l.cgroups) == 0 && len(l.mounts) == 0 && len(l.processes) == 0
}

func (l leftover) String() string {
	return fmt.Sprintf("state dir left: %v; cgroup dirs: %v; new mounts: %v; processes: %v", l.stateDir, l.cgroups, l.mounts, l.processes)
}

// leftovers lists what the container id (with cgroupsPath cgPath, "" if
// none) left behind: its state dir, its cgroup directories, mounts that
// were not in the snapshot and live processes re-parented to this test
// (we are a subreaper; keep lists pids that are expected to live).
// Zombies re-parented to us are reaped.
func (r *rt) leftovers(t *testing.T, snap snapshot, id, cgPath string, keep ...int) leftover {
	t.Helper()
	var l leftover
	if id != "" {
		if _, err := os.Lstat(filepath.Join(r.root, id)); err == nil {
			l.stateDir = true
		}
	}
	if cgPath != "" {
		for _, d := range cgroupDirs(cgPath) {
			if _, err := os.Stat(d); err == nil {
				l.cgroups = append(l.cgroups, d)
			}
		}
	}
	for m := range mountSet(t) {
		if !snap.mounts[m] {
			l.mounts = append(l.mounts, m)
		}
	}
	slices.Sort(l.mounts)
	for _, p := range ourChildren() {
		if slices.Contains(keep, p.pid) {
			continue
		}
		if p.state == "Z" {
			reap(p.pid)
			continue
		}
		l.processes = append(l.processes, fmt.Sprintf("%d %q", p.pid, p.cmdline))
	}
	return l
}

// requireNothingLeft polls (processes need a moment to die after their
// parent was killed) until nothing is left behind, or fails with what is.
func (r *rt) requireNothingLeft(t *testing.T, snap snapshot, id, cgPath string, keep ...int) {
	t.Helper()
	var l leftover
	deadline := time.Now().Add(3 * time.Second)
	for {
		l = r.leftovers(t, snap, id, cgPath, keep...)
		if l.empty() || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.True(t, l.empty(), "container %q left behind: %s", id, l)
}

// reapZombies reaps the zombie children of this process. Call it only
// when no exec.Cmd is between its exit and its Wait.
func reapZombies() {
	for _, p := range ourChildren() {
		if p.state == "Z" {
			reap(p.pid)
		}
	}
}

func reap(pid int) {
	var ws unix.WaitStatus
	_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
}

type proc struct {
	pid     int
	state   string
	cmdline string
}

// ourChildren lists the processes whose parent is this test process,
// except the runtime commands the test is still waiting for (exec.Cmd
// children are only found while they run, and the tests wait for each).
func ourChildren() []proc {
	me := os.Getpid()
	ents, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// comm may hold spaces and parentheses: fields start after the last ')'.
		s := string(st)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		if ppid != me {
			continue
		}
		cl, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		out = append(out, proc{pid: pid, state: f[0], cmdline: strings.ReplaceAll(strings.TrimRight(string(cl), "\x00"), "\x00", " ")})
	}
	return out
}

// requireOneLineError checks a failed command: non-zero exit, stderr a
// single line that mentions every want (case-insensitive).
func requireOneLineError(t *testing.T, res result, wants ...string) {
	t.Helper()
	require.NotEqual(t, 0, res.code, "command succeeded, want failure\n%s", res)
	msg := strings.TrimSuffix(res.stderr, "\n")
	require.NotEmpty(t, msg, "no error message on stderr\n%s", res)
	require.NotContains(t, msg, "\n", "error is not one line\n%s", res)
	for _, w := range wants {
		require.Contains(t, strings.ToLower(msg), strings.ToLower(w), "error does not name %q\n%s", w, res)
	}
}

// pidAlive reports whether pid exists and is not a zombie.
func pidAlive(pid int) bool {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(st)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

// eventually polls cond every 10ms until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exitCode of a finished command (-1 if it did not exit normally).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}
