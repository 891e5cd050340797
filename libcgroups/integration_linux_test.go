package libcgroups_test

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups"
)

// These tests drive the real cgroup filesystem. They only ever create
// cgroups under a parent named after the test process
// (/gocontainer-libcgroups-it-<pid> in every hierarchy), only move processes
// they started, and remove everything they created.

func requireRealCgroups(t *testing.T) libcgroups.Setup {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("integration test needs root to create cgroups")
	}
	s, err := libcgroups.DetectSetup("")
	if err != nil {
		t.Skipf("integration test needs a cgroup filesystem at /sys/fs/cgroup: %v", err)
	}
	return s
}

// testParent is the absolute cgroupsPath parent used by this test process;
// its directories are removed at cleanup in every hierarchy.
func testParent(t *testing.T) string {
	t.Helper()
	parent := fmt.Sprintf("/gocontainer-libcgroups-it-%d", os.Getpid())
	t.Cleanup(func() {
		m, err := libcgroups.New(libcgroups.Config{Path: parent})
		require.NoError(t, err)
		require.NoError(t, m.Destroy(), "remove the test parent cgroups")
		for k, dir := range m.Paths() {
			require.NoDirExists(t, dir, k)
		}
	})
	return parent
}

func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // our own child only
		_ = cmd.Wait()
	})
	return cmd
}

func procState(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "State:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no State in /proc/%d/status", pid)
	return ""
}

// procCgroupPaths parses /proc/<pid>/cgroup into controller -> path, "" for v2.
func procCgroupPaths(t *testing.T, pid int) map[string]string {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", pid))
	require.NoError(t, err)
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		require.Len(t, parts, 3)
		if parts[0] == "0" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out
}

func readTrim(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

func TestIntegrationLifecycleOnRealHost(t *testing.T) {
	setup := requireRealCgroups(t)
	parent := testParent(t)
	cgPath := parent + "/ctr"
	limit := int64(42)
	res := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}

	unifiedCtrls, _ := libcgroups.Host{}.UnifiedControllers(setup)
	if slices.Contains(unifiedCtrls, "hugetlb") {
		// Exercise controller enabling in the real cgroup2 tree. Enabling
		// hugetlb in the root's subtree_control is left in place, as any
		// runtime does; it sets no limit.
		res.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1 << 21}}
	}
	m, err := libcgroups.New(libcgroups.Config{Path: cgPath, Name: "ctr", Resources: res, Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	require.False(t, m.Exists())

	cmd := startSleep(t)
	pid := cmd.Process.Pid
	require.NoError(t, m.Apply(pid))
	require.True(t, m.Exists())

	paths := m.Paths()
	t.Logf("setup %s, paths %v", setup, paths)
	if setup != libcgroups.Legacy {
		require.Contains(t, paths, "", "the process is placed in the cgroup2 tree too")
	}
	if setup != libcgroups.Unified {
		require.Contains(t, paths, "name=systemd")
	}
	// The kernel agrees: the pid is in cgroup.procs of every directory, and
	// /proc/<pid>/cgroup names the path in every hierarchy we manage.
	inKernel := procCgroupPaths(t, pid)
	for key, dir := range paths {
		procs := readTrim(t, filepath.Join(dir, "cgroup.procs"))
		require.Contains(t, strings.Fields(procs), strconv.Itoa(pid), "cgroup.procs of %s (%s)", key, dir)
		require.Equal(t, cgPath, inKernel[key], "/proc/%d/cgroup for %q", pid, key)
	}
	if len(res.HugepageLimits) > 0 {
		require.FileExists(t, filepath.Join(paths[""], "hugetlb.2MB.max"), "hugetlb enabled down the cgroup2 path")
	}

	pids, err := m.Pids()
	require.NoError(t, err)
	require.Equal(t, []int{pid}, pids)
	all, err := m.AllPids()
	require.NoError(t, err)
	require.Equal(t, []int{pid}, all)

	// pids.max, read back from the kernel.
	require.NoError(t, m.Set(res))
	pidsDir := paths["pids"]
	if pidsDir == "" {
		pidsDir = paths[""]
	}
	require.Equal(t, "42", readTrim(t, filepath.Join(pidsDir, "pids.max")))
	st, err := m.Stats()
	require.NoError(t, err)
	require.Equal(t, libcgroups.PidsStats{Current: 1, Limit: 42}, st.Pids)

	// Freeze: the kernel reports the task stopped, then running again.
	require.NoError(t, m.Freeze(libcgroups.Frozen))
	fs, err := m.FreezerState()
	require.NoError(t, err)
	require.Equal(t, libcgroups.Frozen, fs)
	if dir := paths["freezer"]; dir != "" {
		require.Equal(t, "FROZEN", readTrim(t, filepath.Join(dir, "freezer.state")))
		require.True(t, strings.HasPrefix(procState(t, pid), "D"), "frozen task state %q", procState(t, pid))
	} else {
		require.Contains(t, readTrim(t, filepath.Join(paths[""], "cgroup.events")), "frozen 1")
	}
	require.NoError(t, m.Freeze(libcgroups.Thawed))
	fs, err = m.FreezerState()
	require.NoError(t, err)
	require.Equal(t, libcgroups.Thawed, fs)
	require.True(t, strings.HasPrefix(procState(t, pid), "S"), "thawed task state %q", procState(t, pid))

	// Destroy refuses while the task lives, then succeeds once it is reaped.
	require.ErrorIs(t, m.Destroy(), unix.EBUSY)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.NoError(t, m.Destroy())
	for key, dir := range paths {
		require.NoDirExists(t, dir, key)
	}
	require.False(t, m.Exists())
	require.NoError(t, m.Destroy(), "destroying again is fine")
}

func TestIntegrationKillSignalsEveryProcessInCgroup(t *testing.T) {
	requireRealCgroups(t)
	parent := testParent(t)
	m, err := libcgroups.New(libcgroups.Config{Path: parent + "/kill"})
	require.NoError(t, err)
	a, b := startSleep(t), startSleep(t)
	require.NoError(t, m.Apply(a.Process.Pid))
	require.NoError(t, m.AddTask(b.Process.Pid))
	require.NoError(t, m.Kill(unix.SIGTERM))
	for _, c := range []*exec.Cmd{a, b} {
		err := c.Wait()
		var ee *exec.ExitError
		require.True(t, errors.As(err, &ee), "wait: %v", err)
		require.Equal(t, unix.SIGTERM, ee.Sys().(syscall.WaitStatus).Signal())
	}
	st, err := m.FreezerState()
	require.NoError(t, err)
	require.Equal(t, libcgroups.Thawed, st, "Kill leaves the cgroup thawed")
	require.NoError(t, m.Destroy())
	require.False(t, m.Exists())
}

func TestIntegrationLoadFromSavedPaths(t *testing.T) {
	requireRealCgroups(t)
	parent := testParent(t)
	m, err := libcgroups.New(libcgroups.Config{Path: parent + "/load"})
	require.NoError(t, err)
	require.NoError(t, m.Apply(-1))
	l, err := libcgroups.Load(libcgroups.Config{}, m.Paths())
	require.NoError(t, err)
	require.Equal(t, m.Paths(), l.Paths())
	cmd := startSleep(t)
	require.NoError(t, l.AddTask(cmd.Process.Pid))
	pids, err := m.Pids()
	require.NoError(t, err)
	require.Equal(t, []int{cmd.Process.Pid}, pids)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.NoError(t, l.Destroy())
	require.False(t, m.Exists())
}

// TestIntegrationRelativePathIsBelowCallersCgroup checks the relative
// cgroupsPath semantics against the kernel's /proc/self/cgroup. The caller
// must be a process whose cgroups are ours to create children in, so the
// test re-executes itself as a helper child that it first places in a
// test-specific cgroup.
func TestIntegrationRelativePathIsBelowCallersCgroup(t *testing.T) {
	if os.Getenv("LIBCGROUPS_RELATIVE_HELPER") == "1" {
		relativeHelper()
		return
	}
	requireRealCgroups(t)
	parent := testParent(t)
	home, err := libcgroups.New(libcgroups.Config{Path: parent + "/home"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = home.Destroy() })

	cmd := exec.Command(os.Args[0], "-test.run=^TestIntegrationRelativePathIsBelowCallersCgroup$")
	cmd.Env = append(os.Environ(), "LIBCGROUPS_RELATIVE_HELPER=1")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	require.NoError(t, home.Apply(cmd.Process.Pid))
	_, err = stdin.Write([]byte("go\n")) // placed: the helper may look now
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("helper timed out")
	}
	require.NoError(t, err, "helper output:\n%s", out.String())
	want := parent + "/home/rel"
	for key, dir := range home.Paths() {
		require.Contains(t, out.String(), fmt.Sprintf("path %q=%s\n", key, dir+"/rel"), "helper output for %q (cgroup %s)", key, want)
	}
}

// relativeHelper runs in the child: it creates a cgroup with the relative
// path "rel" (it must land under its own cgroup in every hierarchy), prints
// the paths, and removes it.
func relativeHelper() {
	fail := func(err error) {
		fmt.Println("helper:", err)
		os.Exit(1)
	}
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		fail(err)
	}
	m, err := libcgroups.New(libcgroups.Config{Path: "rel"})
	if err != nil {
		fail(err)
	}
	if err := m.Apply(-1); err != nil {
		fail(err)
	}
	for k, v := range m.Paths() {
		fmt.Printf("path %q=%s\n", k, v)
		if st, err := os.Stat(v); err != nil || !st.IsDir() {
			fail(fmt.Errorf("%s not created: %v", v, err))
		}
	}
	if err := m.Destroy(); err != nil {
		fail(err)
	}
	os.Exit(0)
}
