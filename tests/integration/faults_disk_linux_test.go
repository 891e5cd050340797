package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// tmpfsRoot mounts a tmpfs of size bytes as a runtime's --root, unmounted
// (lazily) when the test ends.
func tmpfsRoot(t *testing.T, r *rt, size int) *rt {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "root")
	require.NoError(t, os.Mkdir(dir, 0o700))
	require.NoError(t, unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, fmt.Sprintf("size=%d,mode=700", size)))
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	return &rt{bin: r.bin, root: dir}
}

// fill writes a file until the file system is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "fill")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			require.ErrorIs(t, err, unix.ENOSPC)
			return path
		}
	}
}

// requireCleanOrOK: the command succeeded, or failed with one clean line.
func requireCleanOrOK(t *testing.T, res result, what string) {
	t.Helper()
	t.Logf("%s: exit %d %s", what, res.code, strings.TrimSpace(res.stderr))
	require.NoError(t, cleanError(res), what)
}

// TestFaultFullDiskUnderRoot runs the runtime on a full --root (a small
// tmpfs filled to the last block): a new create fails with one line
// naming the cause and leaves nothing; an existing container can still be
// inspected, paused, updated (or refused cleanly), killed and deleted;
// once space is back, create works again.
func TestFaultFullDiskUnderRoot(t *testing.T) {
	r := tmpfsRoot(t, newRuntime(t), 512<<10)
	snap := takeSnapshot(t)
	spec := baseSpec("sleep", "100")
	cgA := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cgA
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, "full-a")
	r.ok(t, "create", "--bundle", b.dir, "full-a")
	r.ok(t, "start", "full-a")

	filler := fill(t, r.root)
	specB := baseSpec("sleep", "100")
	cgB := uniqueCgroup(t)
	specB.Linux.CgroupsPath = cgB
	bB := newBundle(t, specB)
	r.deleteOnCleanup(t, "full-b")
	res := r.run(t, "create", "--bundle", bB.dir, "full-b")
	requireOneLineError(t, res, "no space left on device")
	l := r.leftovers(t, snap, "full-b", cgB, r.mustState(t, "full-a").Pid)
	require.False(t, l.stateDir, "create on a full disk left its state dir: %s", l)
	require.Empty(t, l.cgroups, "create on a full disk left its cgroup: %s", l)

	st := r.mustState(t, "full-a")
	require.Equal(t, "running", st.Status)
	res = r.ok(t, "list", "-q")
	require.Equal(t, "full-a", strings.TrimSpace(res.stdout))
	// A refused update changes nothing: the limit stays as it was.
	pidsMax := filepath.Join(cgroupDirs(cgA)[0], "pids.max")
	for _, h := range cgroupDirs(cgA) {
		if _, err := os.Stat(filepath.Join(h, "pids.max")); err == nil {
			pidsMax = filepath.Join(h, "pids.max")
		}
	}
	before := readFile(t, pidsMax)
	res = r.run(t, "update", "--pids-limit", "100", "full-a")
	requireOneLineError(t, res, "nothing changed", "no space left on device")
	require.Equal(t, before, readFile(t, pidsMax), "a refused update changed pids.max")
	for _, args := range [][]string{
		{"pause", "full-a"}, {"resume", "full-a"},
		{"exec", "full-a", "true"},
		{"kill", "full-a", "KILL"},
	} {
		requireCleanOrOK(t, r.run(t, args...), strings.Join(args, " "))
	}
	eventually(t, cmdTimeout, "full-a to stop", func() bool { return r.mustState(t, "full-a").Status == "stopped" })
	r.ok(t, "delete", "full-a")
	r.requireNothingLeft(t, snap, "full-a", cgA)

	require.NoError(t, os.Remove(filler))
	r.ok(t, "create", "--bundle", bB.dir, "full-b")
	r.ok(t, "delete", "-f", "full-b")
	r.requireNothingLeft(t, snap, "full-b", cgB)
}

// TestFaultReadOnlyRoot remounts --root read-only under a running and a
// created container: create fails with one line, state and list work,
// start, pause, kill and delete -f succeed or fail with one line, and
// delete -f removes every process and cgroup even when it cannot remove
// the state directory; once writable again, delete -f finishes the job.
func TestFaultReadOnlyRoot(t *testing.T) {
	r := tmpfsRoot(t, newRuntime(t), 4<<20)
	snap := takeSnapshot(t)
	ids := []string{"ro-a", "ro-b"}
	cgs := map[string]string{}
	for _, id := range ids {
		spec := baseSpec("sleep", "100")
		cgs[id] = uniqueCgroup(t)
		spec.Linux.CgroupsPath = cgs[id]
		b := newBundle(t, spec)
		r.deleteOnCleanup(t, id)
		r.ok(t, "create", "--bundle", b.dir, id)
	}
	r.ok(t, "start", "ro-a")
	// The same state, seen through a read-only bind mount: the runtime
	// then works on a read-only --root (remounting the tmpfs itself is
	// refused with EBUSY while the containers' sealed-binary overlays
	// use it).
	rw := r.root
	ro := filepath.Join(filepath.Dir(rw), "ro")
	require.NoError(t, os.Mkdir(ro, 0o700))
	require.NoError(t, unix.Mount(rw, ro, "", unix.MS_BIND, ""))
	t.Cleanup(func() { _ = unix.Unmount(ro, unix.MNT_DETACH) })
	require.NoError(t, unix.Mount("", ro, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""))
	r = &rt{bin: r.bin, root: ro}

	spec := baseSpec("sleep", "100")
	cgC := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cgC
	bC := newBundle(t, spec)
	res := r.run(t, "create", "--bundle", bC.dir, "ro-c")
	requireOneLineError(t, res, "read-only file system")

	require.Equal(t, "running", r.mustState(t, "ro-a").Status)
	require.Equal(t, "created", r.mustState(t, "ro-b").Status)
	res = r.ok(t, "list", "-q")
	require.Equal(t, "ro-a\nro-b", strings.TrimSpace(res.stdout))
	// start releases the init; the fifo it cannot remove does not make
	// the container look created, nor start fail.
	r.ok(t, "start", "ro-b")
	require.Equal(t, "running", r.mustState(t, "ro-b").Status)
	res = r.run(t, "update", "--pids-limit", "100", "ro-a")
	requireOneLineError(t, res, "nothing changed", "read-only file system")
	for _, args := range [][]string{
		{"pause", "ro-a"}, {"resume", "ro-a"},
		{"kill", "ro-a", "CONT"},
	} {
		requireCleanOrOK(t, r.run(t, args...), strings.Join(args, " "))
	}
	for _, id := range ids {
		res := r.runReaping(t, "delete", "-f", id)
		requireCleanOrOK(t, res, "delete -f "+id)
	}
	// Whatever it could not remove, nothing of the containers runs and
	// their cgroups are gone.
	for _, id := range ids {
		l := r.leftovers(t, snap, "", cgs[id])
		require.Empty(t, l.cgroups, "delete -f %s on a read-only root: %s", id, l)
		require.Empty(t, l.processes, "delete -f on a read-only root: %s", l)
	}
	require.NoError(t, unix.Unmount(ro, unix.MNT_DETACH))
	r = &rt{bin: r.bin, root: rw}
	for _, id := range ids {
		res := r.run(t, "delete", "-f", id)
		if res.code != 0 {
			require.True(t, isNotExist(res.stderr), res.String())
		}
		r.requireNothingLeft(t, snap, id, cgs[id])
	}
	r.requireNothingLeft(t, snap, "ro-c", cgC)
}

// TestFaultCgroupPathEscapingItsParentIsRefused: a cgroupsPath whose ".."
// climbs above the hierarchy root (absolute) or above the caller's own
// cgroup (relative) is refused before anything is created, with one line
// naming linux.cgroupsPath; so is an exec --cgroup sub-path that climbs
// out of the container's cgroup.
func TestFaultCgroupPathEscapingItsParentIsRefused(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	escape := fmt.Sprintf("gcit-escape-%d", os.Getpid())
	for i, p := range []string{
		"../" + escape,
		"a/../../" + escape,
		"/../" + escape,
		"/a/../../" + escape,
		"./../" + escape,
	} {
		id := fmt.Sprintf("esc%d", i)
		spec := baseSpec("sleep", "100")
		spec.Linux.CgroupsPath = p
		b := newBundle(t, spec)
		r.deleteOnCleanup(t, id)
		res := r.run(t, "create", "--bundle", b.dir, id)
		requireOneLineError(t, res, "linux.cgroupsPath")
		l := r.leftovers(t, snap, id, "/"+escape)
		require.True(t, l.empty(), "cgroupsPath %q: %s", p, l)
		// Nor one level up from the caller's own cgroup, for the relative ones.
		for _, h := range cgroupHierarchies() {
			matches, _ := filepath.Glob(filepath.Join(h, "*", escape))
			require.Empty(t, matches, "cgroupsPath %q created %v", p, matches)
		}
	}

	spec := baseSpec("sleep", "100")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, "esc-exec")
	r.ok(t, "create", "--bundle", b.dir, "esc-exec")
	r.ok(t, "start", "esc-exec")
	for _, sub := range []string{"../" + escape, "pids:../../" + escape, "a/../../x"} {
		res := r.run(t, "exec", "--cgroup", sub, "esc-exec", "true")
		requireOneLineError(t, res, "--cgroup")
	}
	r.ok(t, "delete", "-f", "esc-exec")
	r.requireNothingLeft(t, snap, "esc-exec", cg)
}
