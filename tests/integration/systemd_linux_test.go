package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// systemdIsPID1 reports whether systemd runs this host (sd_booted's test
// plus PID 1's name), i.e. whether --systemd-cgroup can work here.
func systemdIsPID1() bool {
	if fi, err := os.Stat("/run/systemd/system"); err != nil || !fi.IsDir() {
		return false
	}
	comm, err := os.ReadFile("/proc/1/comm")
	return err == nil && strings.TrimSpace(string(comm)) == "systemd"
}

// needSystemd skips unless systemd is PID 1 on a pure cgroup v2 host (the
// VM of just test-vm): these tests ask the real systemd for units.
func needSystemd(t *testing.T) {
	t.Helper()
	if !systemdIsPID1() {
		t.Skip("systemd is not PID 1 on this host: the systemd cgroup driver is proven in the VM (just test-vm)")
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		t.Skip("not a pure cgroup v2 host: these checks read the unit's cgroup2 files at /sys/fs/cgroup")
	}
	if _, err := exec.LookPath("systemctl"); err != nil {
		t.Skip("systemctl not installed")
	}
}

// unitShow returns `systemctl show UNIT` as a map (only the given
// properties).
func unitShow(t *testing.T, unit string, props ...string) map[string]string {
	t.Helper()
	args := []string{"show", unit}
	for _, p := range props {
		args = append(args, "-p", p)
	}
	out, err := exec.Command("systemctl", args...).CombinedOutput()
	require.NoError(t, err, "systemctl %s: %s", strings.Join(args, " "), out)
	t.Logf("systemctl %s:\n%s", strings.Join(args, " "), out)
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// A list property (DeviceAllow) comes one line per entry.
		if k, v, ok := strings.Cut(line, "="); ok {
			if old, dup := m[k]; dup {
				v = old + "\n" + v
			}
			m[k] = v
		}
	}
	return m
}

func sdID(t *testing.T, what string) string {
	cgSeqMu.Lock()
	cgSeq++
	n := cgSeq
	cgSeqMu.Unlock()
	return fmt.Sprintf("gcsd-%s-%d-%d", what, os.Getpid(), n)
}

// TestSystemdCgroupWithoutSystemdFailsInOneLine: on a host without
// systemd, --systemd-cgroup is refused in one line that says no systemd
// bus was reachable, and nothing is left.
func TestSystemdCgroupWithoutSystemdFailsInOneLine(t *testing.T) {
	if systemdIsPID1() {
		t.Skip("systemd is PID 1 here: the refusal is for hosts without systemd")
	}
	r := newRuntime(t)
	snap := takeSnapshot(t)
	id := sdID(t, "nobus")
	b := newBundle(t, baseSpec("sleep", "100"))
	r.deleteOnCleanup(t, id)
	res := r.run(t, "--systemd-cgroup", "run", "-d", "-b", b.dir, id)
	requireOneLineError(t, res, "no systemd bus reachable", "/run/systemd/private")
	r.requireNothingLeft(t, snap, id, "/system.slice/gocontainer-"+id+".scope")
	r.requireNothingLeft(t, snap, id, "/system.slice")
}

// TestSystemdCgroupBadPathFailsInOneLine: a malformed slice:prefix:name,
// or a parent that is not a slice, is refused naming the field and value
// before any bus is asked, on any host.
func TestSystemdCgroupBadPathFailsInOneLine(t *testing.T) {
	r := newRuntime(t)
	for _, tc := range []struct{ path, want string }{
		{"system.slice:only-two", "system.slice:only-two"},
		{"/abs/path", "/abs/path"},
		{"a:b:c:d", "a:b:c:d"},
		{"system:gc:x", `"system"`},
		{"machine.service:gc:x", `machine.service`},
		{"a--b.slice:gc:x", `a--b.slice`},
		{"system.slice:gc:", "system.slice:gc:"},
		{"system.slice:gc:bad name", "bad name"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			snap := takeSnapshot(t)
			id := sdID(t, "badpath")
			spec := baseSpec("true")
			spec.Linux.CgroupsPath = tc.path
			b := newBundle(t, spec)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "--systemd-cgroup", "run", "-b", b.dir, id)
			requireOneLineError(t, res, "linux.cgroupsPath", tc.want)
			r.requireNothingLeft(t, snap, id, "")
		})
	}
}

// TestSystemdCgroupLifecycle runs a container under the real systemd: a
// scope gocontainer-ID.scope in system.slice with the limits as unit
// properties and in the cgroup, update through both, pause and resume,
// exec (and exec --cgroup into a sub-cgroup), device rules enforced by the
// runtime's eBPF program, and delete leaving no unit and no cgroup.
func TestSystemdCgroupLifecycle(t *testing.T) {
	needSystemd(t)
	r := newRuntime(t)
	snap := takeSnapshot(t)
	id := sdID(t, "life")
	unit := "gocontainer-" + id + ".scope"
	dir := filepath.Join("/sys/fs/cgroup/system.slice", unit)
	spec := baseSpec("sleep", "1000")
	limit, pids := int64(64<<20), int64(64)
	spec.Linux.Resources = &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &limit},
		Pids:   &specs.LinuxPids{Limit: &pids},
		Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: i64p(1), Minor: i64p(3), Access: "rwm"},
		},
	}
	// mknod is allowed for every device (runc's default rules), opening
	// one that no rule allows is not.
	caps := spec.Process.Capabilities
	caps.Bounding = append(caps.Bounding, "CAP_MKNOD")
	caps.Effective = append(caps.Effective, "CAP_MKNOD")
	caps.Permitted = append(caps.Permitted, "CAP_MKNOD")
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, id)
	r.ok(t, "--systemd-cgroup", "create", "-b", b.dir, id)
	r.ok(t, "--systemd-cgroup", "start", id)
	st := r.waitStatus(t, id, "running")

	show := unitShow(t, unit, "ActiveState", "MemoryMax", "TasksMax", "Delegate", "ControlGroup", "Slice", "DevicePolicy", "DeviceAllow")
	require.Equal(t, "active", show["ActiveState"])
	require.Equal(t, "67108864", show["MemoryMax"])
	require.Equal(t, "64", show["TasksMax"])
	require.Equal(t, "yes", show["Delegate"])
	require.Equal(t, "system.slice", show["Slice"])
	require.Equal(t, "/system.slice/"+unit, show["ControlGroup"])
	require.Equal(t, "strict", show["DevicePolicy"])
	require.Contains(t, show["DeviceAllow"], "/dev/char/1:3 rwm")
	require.Equal(t, "67108864", cgValue(t, filepath.Join(dir, "memory.max")))
	require.Equal(t, "64", cgValue(t, filepath.Join(dir, "pids.max")))
	require.Contains(t, strings.Fields(cgValue(t, filepath.Join(dir, "cgroup.procs"))), strconv.Itoa(st.Pid))

	// The runtime's device program is in force beside systemd's.
	r.ok(t, "exec", id, "sh", "-c", "echo x > /dev/null")
	res := r.run(t, "exec", id, "sh", "-c", "mknod /dev/gckmsg c 1 11 && head -c1 /dev/gckmsg")
	require.NotEqual(t, 0, res.code, "opening c 1:11 must be denied\n%s", res)
	require.Contains(t, res.stderr+res.stdout, "not permitted")

	// update goes to systemd and to the cgroup.
	r.ok(t, "--systemd-cgroup", "update", "--memory", "134217728", "--pids-limit", "100", id)
	show = unitShow(t, unit, "MemoryMax", "TasksMax")
	require.Equal(t, "134217728", show["MemoryMax"])
	require.Equal(t, "100", show["TasksMax"])
	require.Equal(t, "134217728", cgValue(t, filepath.Join(dir, "memory.max")))
	require.Equal(t, "100", cgValue(t, filepath.Join(dir, "pids.max")))

	r.ok(t, "--systemd-cgroup", "pause", id)
	require.Equal(t, "paused", r.mustState(t, id).Status)
	require.Equal(t, "1", cgValue(t, filepath.Join(dir, "cgroup.freeze")))
	r.ok(t, "--systemd-cgroup", "resume", id)
	require.Equal(t, "running", r.mustState(t, id).Status)
	require.Equal(t, "0", cgValue(t, filepath.Join(dir, "cgroup.freeze")))

	out := r.ok(t, "--systemd-cgroup", "exec", id, "cat", "/proc/self/cgroup").stdout
	require.Equal(t, "0::/system.slice/"+unit, strings.TrimSpace(out))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	out = r.ok(t, "--systemd-cgroup", "exec", "--cgroup", "sub", id, "cat", "/proc/self/cgroup").stdout
	require.Equal(t, "0::/system.slice/"+unit+"/sub", strings.TrimSpace(out))

	r.ok(t, "--systemd-cgroup", "kill", id, "KILL")
	r.waitStatus(t, id, "stopped")
	r.ok(t, "--systemd-cgroup", "delete", id)
	require.Equal(t, "not-found", unitShow(t, unit, "LoadState")["LoadState"])
	require.NoDirExists(t, dir)
	r.requireNothingLeft(t, snap, id, "/system.slice/"+unit)
}

// TestSystemdCgroupPathAndRun: an explicit slice:prefix:name in a nested
// slice, with run in the foreground: the unit is where the path says, the
// exit code comes back, and nothing is left afterwards (the slices
// systemd made stay, as with runc).
func TestSystemdCgroupPathAndRun(t *testing.T) {
	needSystemd(t)
	r := newRuntime(t)
	snap := takeSnapshot(t)
	id := sdID(t, "path")
	spec := baseSpec("sh", "-c", "cat /proc/self/cgroup; exit 3")
	spec.Linux.CgroupsPath = "gcit-nested.slice:gcit:" + id
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, id)
	t.Cleanup(func() { _ = exec.Command("systemctl", "stop", "gcit-nested.slice", "gcit.slice").Run() })
	res := r.run(t, "--systemd-cgroup", "run", "-b", b.dir, id)
	require.Equal(t, 3, res.code, "%s", res)
	require.Equal(t, "0::/gcit.slice/gcit-nested.slice/gcit-"+id+".scope", strings.TrimSpace(res.stdout))
	// run without --keep deleted the container, and with it the unit.
	require.Equal(t, "not-found", unitShow(t, "gcit-"+id+".scope", "LoadState")["LoadState"])
	r.requireNothingLeft(t, snap, id, "/gcit.slice/gcit-nested.slice/gcit-"+id+".scope")
}

// TestSystemdCgroupUnitExistsFailsInOneLine: a second container asking for
// a unit name in use fails naming the unit, leaves nothing of its own and
// does not disturb the first.
func TestSystemdCgroupUnitExistsFailsInOneLine(t *testing.T) {
	needSystemd(t)
	r := newRuntime(t)
	id1, id2 := sdID(t, "first"), sdID(t, "second")
	path := "system.slice:gcsd:dup-" + strconv.Itoa(os.Getpid())
	unit := "gcsd-dup-" + strconv.Itoa(os.Getpid()) + ".scope"
	s1 := baseSpec("sleep", "1000")
	s1.Linux.CgroupsPath = path
	b1 := newBundle(t, s1)
	r.deleteOnCleanup(t, id1)
	r.ok(t, "--systemd-cgroup", "create", "-b", b1.dir, id1)

	snap := takeSnapshot(t)
	b2 := newBundle(t, s1)
	r.deleteOnCleanup(t, id2)
	res := r.run(t, "--systemd-cgroup", "create", "-b", b2.dir, id2)
	requireOneLineError(t, res, "linux.cgroupsPath", unit, "already exists")
	r.requireNothingLeft(t, snap, id2, "", r.mustState(t, id1).Pid)
	require.Equal(t, "active", unitShow(t, unit, "ActiveState")["ActiveState"])
	require.Equal(t, "created", r.mustState(t, id1).Status)
	r.ok(t, "--systemd-cgroup", "delete", "-f", id1)
	require.Equal(t, "not-found", unitShow(t, unit, "LoadState")["LoadState"])
}

func i64p(v int64) *int64 { return &v }
