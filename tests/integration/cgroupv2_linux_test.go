package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The cgroup tests read the kernel's files. On a hybrid host (this
// project's CI host: v1 controllers, cgroup2 with hugetlb only) those are
// v1 files; on a pure cgroup v2 host (hack/vm: systemd as PID 1,
// cgroup_no_v1=all) they are the v2 equivalents in the one hierarchy. The
// helpers below give a test the right file and present v2 values the way
// the v1 assertions expect them, so one test covers both.

// pureV2 reports whether /sys/fs/cgroup itself is the cgroup2 hierarchy.
func pureV2() bool {
	return fileExists("/sys/fs/cgroup/cgroup.controllers")
}

// cgFile is file of cgroupsPath cg for controller ctrl: the v1 file on a
// hybrid host (v1File), the file of the same name in the unified hierarchy
// on a pure v2 host, where the test skips if ctrl is not available.
func cgFile(t *testing.T, ctrl, cg, file string) string {
	t.Helper()
	if !pureV2() {
		return v1File(t, ctrl, cg, file)
	}
	if ctrl != "freezer" { // the v2 freezer is part of the core (cgroup.freeze)
		avail, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
		require.NoError(t, err)
		if !slices.Contains(strings.Fields(string(avail)), ctrl) {
			t.Skipf("no %s controller in the cgroup v2 root (%s)", ctrl, strings.TrimSpace(string(avail)))
		}
	}
	return filepath.Join("/sys/fs/cgroup", cgroupRel(cg), file)
}

// freezerState returns a reader of cg's freezer state as v1 names it:
// FROZEN or THAWED (v2: "frozen 1" or "frozen 0" in cgroup.events).
func freezerState(t *testing.T, cg string) func() string {
	t.Helper()
	if !pureV2() {
		f := v1File(t, "freezer", cg, "freezer.state")
		return func() string { return cgValue(t, f) }
	}
	f := filepath.Join("/sys/fs/cgroup", cgroupRel(cg), "cgroup.events")
	return func() string {
		for _, l := range strings.Split(cgValue(t, f), "\n") {
			switch l {
			case "frozen 1":
				return "FROZEN"
			case "frozen 0":
				return "THAWED"
			}
		}
		t.Fatalf("%s has no frozen line", f)
		return ""
	}
}

// limitFiles names the files TestUpdate* read: v1 files, or on a pure v2
// host memory.max, memory.swap.max, pids.max, cpu.weight, cpu.max (quota
// and period) and cpuset.cpus.
func limitFiles(t *testing.T, cg string) limits {
	t.Helper()
	if !pureV2() {
		return limits{
			memory: v1File(t, "memory", cg, "memory.limit_in_bytes"),
			memsw:  v1File(t, "memory", cg, "memory.memsw.limit_in_bytes"),
			pids:   v1File(t, "pids", cg, "pids.max"),
			shares: v1File(t, "cpu", cg, "cpu.shares"),
			quota:  v1File(t, "cpu", cg, "cpu.cfs_quota_us"),
			period: v1File(t, "cpu", cg, "cpu.cfs_period_us"),
			cpus:   v1File(t, "cpuset", cg, "cpuset.cpus"),
		}
	}
	return limits{
		memory: cgFile(t, "memory", cg, "memory.max"),
		memsw:  cgFile(t, "memory", cg, "memory.swap.max"),
		pids:   cgFile(t, "pids", cg, "pids.max"),
		shares: cgFile(t, "cpu", cg, "cpu.weight"),
		quota:  cgFile(t, "cpu", cg, "cpu.max"),
		period: cgFile(t, "cpu", cg, "cpu.max"),
		cpus:   cgFile(t, "cpuset", cg, "cpuset.cpus"),
	}
}

// readLimitsV2 reads the v2 files of limitFiles and gives them v1's
// meaning: memsw is memory.max + memory.swap.max (the v1 memory+swap
// limit runc's conversion splits), quota and period are the fields of
// cpu.max with "max" as v1's -1, shares stays cpu.weight (compare it with
// wantShares).
func readLimitsV2(t *testing.T, f limits) limits {
	t.Helper()
	l := limits{memory: cgValue(t, f.memory), pids: cgValue(t, f.pids), shares: cgValue(t, f.shares), cpus: cgValue(t, f.cpus)}
	swap := cgValue(t, f.memsw)
	l.memsw = "max"
	if m, err := strconv.ParseInt(l.memory, 10, 64); err == nil {
		if s, err := strconv.ParseInt(swap, 10, 64); err == nil {
			l.memsw = strconv.FormatInt(m+s, 10)
		}
	}
	q, p, ok := strings.Cut(cgValue(t, f.quota), " ")
	require.True(t, ok, "cpu.max: %q", cgValue(t, f.quota))
	if q == "max" {
		q = "-1"
	}
	l.quota, l.period = q, p
	return l
}

// wantShares is how cpu.shares = s shows in the kernel's file: s itself on
// v1; on v2 the cpu.weight of runc's current conversion (opencontainers/
// cgroups#20, crun's too: 2 -> 1, 512 -> 59, 1024 -> 100), worked out
// here by hand rather than by the runtime's code. The old linear formula
// would give 20 for 512.
func wantShares(t *testing.T, s uint64) string {
	t.Helper()
	if !pureV2() {
		return strconv.FormatUint(s, 10)
	}
	w, ok := map[uint64]string{2: "1", 512: "59", 1024: "100", 262144: "10000"}[s]
	require.True(t, ok, "no known cpu.weight for cpu.shares %d", s)
	return w
}

// TestExecSubCgroupOnCgroupV2: on a pure v2 host, --cgroup PATH puts the
// exec'd process into that existing sub-cgroup of the container's one
// cgroup; a missing one or one above the container's is refused on one
// line. (TestExecSubCgroup covers a hybrid host's v1 controller form.)
func TestExecSubCgroupOnCgroupV2(t *testing.T) {
	if !pureV2() {
		t.Skip("needs a pure cgroup v2 host (hack/vm)")
	}
	r := newRuntime(t)
	c := startForExec(t, r, "exec-subcg2", nil)
	dir := filepath.Join("/sys/fs/cgroup", cgroupRel(c.cg))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))

	res := r.run(t, "exec", "--cgroup", "sub", "--", c.id, "cat", "/proc/self/cgroup")
	require.Equal(t, 0, res.code, "%s", res)
	require.Equal(t, "0::"+cgroupRel(c.cg)+"/sub\n", res.stdout, "%s", res)
	res = r.run(t, "exec", c.id, "cat", "/proc/self/cgroup")
	require.Equal(t, 0, res.code, "%s", res)
	require.Equal(t, "0::"+cgroupRel(c.cg)+"\n", res.stdout, "an exec without --cgroup joins the container's cgroup")

	requireOneLineError(t, r.run(t, "exec", "--cgroup", "nope", c.id, "true"), "nope", "does not exist")
	requireOneLineError(t, r.run(t, "exec", "--cgroup", "../..", c.id, "true"), "not below")
	requireOnlyInit(t, c)
}

// kernelBefore reports whether the running kernel is older than major.minor.
func kernelBefore(t *testing.T, major, minor int) bool {
	t.Helper()
	var u unix.Utsname
	require.NoError(t, unix.Uname(&u))
	var ma, mi int
	_, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &ma, &mi)
	require.NoError(t, err, "kernel release %q", unix.ByteSliceToString(u.Release[:]))
	return ma < major || (ma == major && mi < minor)
}
