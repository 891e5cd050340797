package integration

// Rootless containers: the tests run as root, set up an unprivileged user
// (gcrootless, or $GOCONTAINER_ROOTLESS_USER) with subordinate id ranges,
// and drive the runtime AS THAT USER through setpriv, with a copy of the
// binary and bundles under /tmp that the user owns. What the container and
// the host see is checked from root.

import (
	"bufio"
	"encoding/json"
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

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// rootlessUser is the unprivileged user and its subordinate ranges.
type rootlessUser struct {
	name             string
	uid, gid         int
	subUID, subGID   uint32 // first subordinate id
	subUIDN, subGIDN uint32 // range sizes
}

var (
	rootlessOnce sync.Once
	rootlessU    rootlessUser
	rootlessSkip string
	rootlessErr  error
)

// ensureRootlessUser creates the user and its /etc/subuid and /etc/subgid
// ranges if missing (idempotent; hack/test-rootless.sh does the same). The
// tests skip only when the user cannot be created.
func ensureRootlessUser(t *testing.T) rootlessUser {
	t.Helper()
	rootlessOnce.Do(func() {
		name := os.Getenv("GOCONTAINER_ROOTLESS_USER")
		if name == "" {
			name = "gcrootless"
		}
		if exec.Command("id", "-u", name).Run() != nil {
			if out, err := exec.Command("useradd", "--create-home", "--shell", "/bin/sh", name).CombinedOutput(); err != nil {
				rootlessSkip = fmt.Sprintf("cannot create the unprivileged user %s: useradd: %v: %s", name, err, strings.TrimSpace(string(out)))
				return
			}
		}
		u := rootlessUser{name: name}
		for _, f := range []struct {
			flag string
			dst  *int
		}{{"-u", &u.uid}, {"-g", &u.gid}} {
			out, err := exec.Command("id", f.flag, name).Output()
			if err != nil {
				rootlessErr = fmt.Errorf("id %s %s: %w", f.flag, name, err)
				return
			}
			*f.dst, _ = strconv.Atoi(strings.TrimSpace(string(out)))
		}
		var err error
		if u.subUID, u.subUIDN, err = ensureSubIDs("/etc/subuid", name); err != nil {
			rootlessErr = err
			return
		}
		if u.subGID, u.subGIDN, err = ensureSubIDs("/etc/subgid", name); err != nil {
			rootlessErr = err
			return
		}
		rootlessU = u
	})
	if rootlessSkip != "" {
		t.Skip(rootlessSkip)
	}
	require.NoError(t, rootlessErr)
	return rootlessU
}

// ensureSubIDs returns name's range in file (/etc/subuid or /etc/subgid),
// appending one of 65536 ids after every existing range if it has none.
func ensureSubIDs(file, name string) (start, count uint32, err error) {
	data, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return 0, 0, err
	}
	next := uint64(100000)
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		f := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(f) != 3 {
			continue
		}
		s, err1 := strconv.ParseUint(f[1], 10, 32)
		n, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		if f[0] == name && n >= 65536 {
			return uint32(s), uint32(n), nil
		}
		next = max(next, s+n)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%s:%d:65536\n", name, next); err != nil {
		return 0, 0, fmt.Errorf("append to %s: %w", file, err)
	}
	return uint32(next), 65536, nil
}

// rootlessEnv is a work directory under /tmp owned by the user, with a
// copy of the binary (the repository may not be readable by the user), an
// XDG_RUNTIME_DIR, and wrapper scripts that run the binary as the user.
type rootlessEnv struct {
	u    rootlessUser
	work string
	xdg  string
	bin  string
	// asUser runs its arguments as the user, with a clean environment.
	asUser string
	// rt drives the binary as the user with --root $XDG_RUNTIME_DIR/gocontainer.
	rt *rt
	// inUserNS is rt for the binary run as uid 0 of a user namespace that
	// the user made (unshare --map-root-user), as rootless Podman runs it.
	inUserNS *rt
}

func newRootlessEnv(t *testing.T) *rootlessEnv {
	t.Helper()
	base := newRuntime(t)
	u := ensureRootlessUser(t)
	_, err := exec.LookPath("setpriv")
	require.NoError(t, err, "setpriv (util-linux) runs the runtime as the unprivileged user")

	work, err := os.MkdirTemp("/tmp", "gcrootless-it-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(work) })
	require.NoError(t, os.Chmod(work, 0o755))
	e := &rootlessEnv{u: u, work: work, xdg: filepath.Join(work, "xdg"), bin: filepath.Join(work, "gocontainer")}
	data, err := os.ReadFile(base.bin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(e.bin, data, 0o755))
	require.NoError(t, os.Mkdir(e.xdg, 0o700))
	require.NoError(t, os.Chown(e.xdg, u.uid, u.gid))

	e.asUser = filepath.Join(work, "as-user")
	script := fmt.Sprintf("#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --init-groups -- env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=%s USER=%s XDG_RUNTIME_DIR=%s \"$@\"\n",
		u.name, u.name, work, u.name, e.xdg)
	require.NoError(t, os.WriteFile(e.asUser, []byte(script), 0o755))
	wrap := func(name, prefix string) string {
		p := filepath.Join(work, name)
		require.NoError(t, os.WriteFile(p, []byte(fmt.Sprintf("#!/bin/sh\nexec %s %s %s \"$@\"\n", e.asUser, prefix, e.bin)), 0o755))
		return p
	}
	root := filepath.Join(e.xdg, "gocontainer")
	e.rt = &rt{bin: wrap("gocontainer-as-user", ""), root: root}
	e.inUserNS = &rt{bin: wrap("gocontainer-in-userns", "unshare --user --map-root-user --"), root: root}

	out, err := exec.Command(e.asUser, "unshare", "--user", "--map-root-user", "id", "-u").CombinedOutput()
	require.NoError(t, err, "unprivileged user namespaces must work for rootless containers: %s", out)
	require.Equal(t, "0\n", string(out))
	return e
}

// bundle makes a bundle owned by the user, its config.json written by
// `spec --rootless` run as the user, then edited by edit.
func (e *rootlessEnv) bundle(t *testing.T, edit func(s *specs.Spec), args ...string) string {
	t.Helper()
	dir, err := os.MkdirTemp(e.work, "bundle-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755))
	out, err := exec.Command("cp", "-a", rootfs(t), filepath.Join(dir, "rootfs")).CombinedOutput()
	require.NoError(t, err, "copy rootfs: %s", out)
	out, err = exec.Command("chown", "-R", fmt.Sprintf("%d:%d", e.u.uid, e.u.gid), dir).CombinedOutput()
	require.NoError(t, err, "chown bundle: %s", out)

	out, err = exec.Command(e.asUser, e.bin, "spec", "--rootless", "--bundle", dir).CombinedOutput()
	require.NoError(t, err, "spec --rootless as %s: %s", e.u.name, out)
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	var s specs.Spec
	require.NoError(t, json.Unmarshal(raw, &s))
	s.Process.Terminal = false
	s.Process.Args = args
	if edit != nil {
		edit(&s)
	}
	raw, err = json.MarshalIndent(&s, "", "\t")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), raw, 0o644))
	return dir
}

// TestRootlessSpecIsWhatRuncWrites checks `spec --rootless` as the user:
// the user's own ids mapped to root, no network namespace, /sys bound
// read-only, no uid=/gid= mount options, no cgroup resources.
func TestRootlessSpecIsWhatRuncWrites(t *testing.T) {
	e := newRootlessEnv(t)
	dir := e.bundle(t, nil, "true")
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	var s specs.Spec
	require.NoError(t, json.Unmarshal(raw, &s))
	require.Equal(t, []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(e.u.uid), Size: 1}}, s.Linux.UIDMappings)
	require.Equal(t, []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(e.u.gid), Size: 1}}, s.Linux.GIDMappings)
	var types []specs.LinuxNamespaceType
	for _, ns := range s.Linux.Namespaces {
		types = append(types, ns.Type)
	}
	require.Contains(t, types, specs.UserNamespace)
	require.NotContains(t, types, specs.NetworkNamespace)
	require.Nil(t, s.Linux.Resources)
	for _, m := range s.Mounts {
		if m.Destination == "/sys" {
			require.Equal(t, specs.Mount{Destination: "/sys", Type: "none", Source: "/sys", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}}, m)
		}
		for _, o := range m.Options {
			require.False(t, strings.HasPrefix(o, "uid=") || strings.HasPrefix(o, "gid="), "mount %s keeps %s", m.Destination, o)
		}
	}
}

// TestRootlessRunWithTheDefaultRoot runs a container from `spec
// --rootless` as the user without --root: state goes to
// $XDG_RUNTIME_DIR/gocontainer (sticky, the user's), the container's root
// is the user, setgroups is denied (the map was written directly), and the
// runtime says once that it has no cgroup.
func TestRootlessRunWithTheDefaultRoot(t *testing.T) {
	e := newRootlessEnv(t)
	dir := e.bundle(t, nil, "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; stat -c %u:%g /bin/busybox; ls /sys/kernel >/dev/null && echo sys-ok")
	cmd := exec.Command(e.asUser, e.bin, "run", "--bundle", dir, "rl-default-root")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
	require.Equal(t, fmt.Sprintf("0\n0\n%10d %10d %10d\n%10d %10d %10d\ndeny\n0:0\nsys-ok\n", 0, e.u.uid, 1, 0, e.u.gid, 1), stdout.String())
	warn := stderr.String()
	require.Equal(t, 1, strings.Count(warn, "\n"), "exactly one line on stderr: %q", warn)
	require.Contains(t, warn, "cgroups are not delegated to this user")

	fi, err := os.Stat(filepath.Join(e.xdg, "gocontainer"))
	require.NoError(t, err)
	require.Equal(t, os.ModeDir|os.ModeSticky|0o700, fi.Mode())
	require.Equal(t, uint32(e.u.uid), fi.Sys().(*syscall.Stat_t).Uid)
	entries, err := os.ReadDir(filepath.Join(e.xdg, "gocontainer"))
	require.NoError(t, err)
	require.Empty(t, entries, "run removed its state")
}

// TestRootlessLifecycle: create, state, list, start, kill, delete as the
// user; the processes run with the user's uid on the host.
func TestRootlessLifecycle(t *testing.T) {
	e := newRootlessEnv(t)
	r := e.rt
	dir := e.bundle(t, nil, "sleep", "300")
	id := "rl-life"
	r.deleteOnCleanup(t, id)
	res := r.ok(t, "create", "--bundle", dir, id)
	require.Contains(t, res.stderr, "cgroups are not delegated")
	st := r.mustState(t, id)
	require.Equal(t, "created", st.Status)
	require.Equal(t, e.u.name, st.Owner)
	require.Equal(t, strconv.Itoa(e.u.uid), statusUids(t, st.Pid)[1], "the init runs as the user on the host")
	list := r.ok(t, "list", "--format", "json")
	require.Contains(t, list.stdout, `"id":"rl-life"`)
	require.Contains(t, list.stdout, `"owner":"`+e.u.name+`"`)

	r.ok(t, "start", id)
	require.Equal(t, "running", r.mustState(t, id).Status)
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", st.Pid))
	require.NoError(t, err)
	require.Equal(t, "sleep\n", string(comm))

	// No cgroup: pause and ps say why, on one line.
	requireOneLineError(t, r.run(t, "pause", id), "not delegated")
	requireOneLineError(t, r.run(t, "ps", id), "not delegated")

	r.ok(t, "kill", id, "KILL")
	r.waitStatus(t, id, "stopped")
	r.ok(t, "delete", id)
	_, res = r.state(t, id)
	require.NotEqual(t, 0, res.code)
	require.True(t, isNotExist(res.stderr), res.String())
	require.False(t, pidAlive(st.Pid))
}

// TestRootlessSeveralRangesUseNewuidmap maps the user to root and its
// subordinate range to 1..65536: the maps need newuidmap/newgidmap, the
// container sees them, setgroups stays allowed, and a file the host owns
// as subordinate id N+999 is owned by 999 inside.
func TestRootlessSeveralRangesUseNewuidmap(t *testing.T) {
	e := newRootlessEnv(t)
	for _, h := range []string{"newuidmap", "newgidmap"} {
		_, err := exec.LookPath(h)
		require.NoError(t, err, "%s (Debian package uidmap, installed by hack/setup.sh)", h)
	}
	u := e.u
	dir := e.bundle(t, func(s *specs.Spec) {
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(u.uid), Size: 1}, {ContainerID: 1, HostID: u.subUID, Size: 65536}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(u.gid), Size: 1}, {ContainerID: 1, HostID: u.subGID, Size: 65536}}
	}, "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; stat -c %u:%g /owned /bin/busybox")
	owned := filepath.Join(dir, "rootfs", "owned")
	require.NoError(t, os.WriteFile(owned, nil, 0o644))
	require.NoError(t, os.Chown(owned, int(u.subUID)+998, int(u.subGID)+1998))

	res := e.rt.ok(t, "run", "--bundle", dir, "rl-ranges")
	want := fmt.Sprintf("%10d %10d %10d\n%10d %10d %10d\n%10d %10d %10d\n%10d %10d %10d\nallow\n999:1999\n0:0\n",
		0, u.uid, 1, 1, u.subUID, 65536, 0, u.gid, 1, 1, u.subGID, 65536)
	require.Equal(t, want, res.stdout)
}

// TestRootlessMappingOthersIdsIsRefused: ids outside the user's own and
// subordinate ranges are refused by newuidmap, and the error names the
// field and the helper.
func TestRootlessMappingOthersIdsIsRefused(t *testing.T) {
	e := newRootlessEnv(t)
	dir := e.bundle(t, func(s *specs.Spec) {
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 1}}
	}, "true")
	res := e.rt.run(t, "run", "--bundle", dir, "rl-others")
	// The cgroup warning may come first: the maps are written after the
	// (absent) cgroup is set up.
	res.stderr = strings.TrimPrefix(res.stderr[strings.LastIndex(strings.TrimSuffix(res.stderr, "\n"), "\n")+1:], "\n")
	requireOneLineError(t, res, "linux.uidMappings [0:0:1]", "newuidmap", "not allowed")
	entries, err := os.ReadDir(e.rt.root)
	require.NoError(t, err)
	require.Empty(t, entries, "a failed create leaves no state")
}

// TestRootlessLimitsWithoutDelegationFail: like runc, limits the runtime
// cannot apply are an error, not a silent no-op.
func TestRootlessLimitsWithoutDelegationFail(t *testing.T) {
	e := newRootlessEnv(t)
	limit := int64(10)
	dir := e.bundle(t, func(s *specs.Spec) {
		s.Linux.Resources = &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
	}, "true")
	res := e.rt.run(t, "run", "--bundle", dir, "rl-limits")
	requireOneLineError(t, res, "linux.resources.pids", "not delegated")
	entries, err := os.ReadDir(e.rt.root)
	require.NoError(t, err)
	require.Empty(t, entries, "a failed create leaves no state")
}

// TestRootlessDelegatedCgroupIsUsed gives the user a cgroup of its own in
// every hierarchy (as systemd's Delegate=yes does) and starts the runtime
// in it: the container gets its cgroup below, with the pids limit, and
// pause works.
// delegatedRuntime gives the user a cgroup of its own in every hierarchy
// (what a delegating systemd does) and returns a runtime that runs as the
// user from inside it, with the delegated directories.
func delegatedRuntime(t *testing.T, e *rootlessEnv) (*rt, []string) {
	t.Helper()
	name := fmt.Sprintf("gcrootless-it-%d", os.Getpid())
	dirs := cgroupDirs(name)
	require.NotEmpty(t, dirs, "no cgroup hierarchy mounted")
	for _, d := range dirs {
		require.NoError(t, os.MkdirAll(d, 0o755))
		// A new v1 cpuset starts empty; a v2 one uses its parent's (whose
		// root has no cpuset.cpus to copy).
		if _, err := os.Stat(filepath.Join(d, "cpuset.cpus")); err == nil && !pureV2() {
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				v, err := os.ReadFile(filepath.Join(filepath.Dir(d), f))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(d, f), v, 0o644))
			}
		}
		out, err := exec.Command("chown", "-R", fmt.Sprintf("%d:%d", e.u.uid, e.u.gid), d).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	t.Cleanup(func() {
		for _, d := range dirs {
			_ = os.Remove(d)
		}
	})
	// cgroup-enter.sh moves itself into NAME in every hierarchy (as root,
	// creating nothing: the directories exist), then execs the runtime as
	// the user, whose cgroup is now NAME.
	wrapper := filepath.Join(e.work, "gocontainer-delegated")
	if pureV2() {
		// cgroup v2's no-internal-processes rule: a cgroup with processes
		// cannot enable controllers for its children. As systemd's
		// Delegate=yes units do, the runtime runs in a leaf (NAME/runtime)
		// and the containers get NAME/<id> (delegatedCgroupsPath).
		leaf := filepath.Join(dirs[0], "runtime")
		require.NoError(t, os.Mkdir(leaf, 0o755))
		require.NoError(t, os.Chown(leaf, e.u.uid, e.u.gid))
		for _, f := range []string{"cgroup.procs", "cgroup.threads", "cgroup.subtree_control"} {
			require.NoError(t, os.Chown(filepath.Join(leaf, f), e.u.uid, e.u.gid))
		}
		t.Cleanup(func() { _ = os.Remove(leaf) })
		require.NoError(t, os.WriteFile(wrapper, []byte(fmt.Sprintf("#!/bin/sh\necho $$ >%s/cgroup.procs || exit 1\nexec %s \"$@\"\n", leaf, e.rt.bin)), 0o755))
		return &rt{bin: wrapper, root: e.rt.root}, dirs
	}
	enter, err := filepath.Abs("../../hack/cgroup-enter.sh")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(wrapper, []byte(fmt.Sprintf("#!/bin/sh\nexec %s %s %s \"$@\"\n", enter, name, e.rt.bin)), 0o755))
	return &rt{bin: wrapper, root: e.rt.root}, dirs
}

// delegatedCgroupsPath is the cgroupsPath a container of delegatedRuntime
// gets: none on a hybrid host (the runtime's own delegated cgroup/<id>),
// /NAME/<id> on a pure v2 host, where the runtime's own cgroup is a leaf.
func delegatedCgroupsPath(id string) string {
	if !pureV2() {
		return ""
	}
	return fmt.Sprintf("/gcrootless-it-%d/%s", os.Getpid(), id)
}

func TestRootlessDelegatedCgroupIsUsed(t *testing.T) {
	e := newRootlessEnv(t)
	r, dirs := delegatedRuntime(t, e)
	name := fmt.Sprintf("gcrootless-it-%d", os.Getpid())

	limit := int64(7)
	id := "rl-delegated"
	dir := e.bundle(t, func(s *specs.Spec) {
		s.Linux.Resources = &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
		s.Linux.CgroupsPath = delegatedCgroupsPath(id)
	}, "sleep", "300")
	r.deleteOnCleanup(t, id)
	res := r.ok(t, "create", "--bundle", dir, id)
	require.NotContains(t, res.stderr, "not delegated")
	st := r.mustState(t, id)

	var pidsDir string
	for _, d := range dirs {
		if filepath.Base(filepath.Dir(d)) == "pids" {
			pidsDir = filepath.Join(d, id)
		}
	}
	if pidsDir != "" {
		max, err := os.ReadFile(filepath.Join(pidsDir, "pids.max"))
		require.NoError(t, err)
		require.Equal(t, "7\n", string(max))
		procs, err := os.ReadFile(filepath.Join(pidsDir, "cgroup.procs"))
		require.NoError(t, err)
		require.Contains(t, strings.Fields(string(procs)), strconv.Itoa(st.Pid))
	} else {
		cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", st.Pid))
		require.NoError(t, err)
		require.Contains(t, string(cg), "/"+name+"/"+id)
	}

	r.ok(t, "start", id)
	r.ok(t, "pause", id)
	require.Equal(t, "paused", r.mustState(t, id).Status)
	r.ok(t, "resume", id)
	require.Equal(t, "running", r.mustState(t, id).Status)
	r.ok(t, "delete", "-f", id)
	for _, d := range dirs {
		_, err := os.Stat(filepath.Join(d, id))
		require.True(t, os.IsNotExist(err), "cgroup %s left behind", filepath.Join(d, id))
	}
}

// delegatedCgroupProbe tries, from inside the container, to create a
// cgroup in its own cgroup of every hierarchy: at the hierarchy's mount
// (where a cgroup mount puts the container's own cgroup) and at the full
// path /proc/self/cgroup names (where a bind of the host's /sys/fs/cgroup
// puts it, without a cgroup namespace). It prints WRITABLE for each
// success and how many directories it tried.
const delegatedCgroupProbe = `n=0
while IFS=: read -r _ ctrl path; do
	case "$ctrl" in
	"") m=/sys/fs/cgroup; [ -d /sys/fs/cgroup/unified ] && m=/sys/fs/cgroup/unified ;;
	name=*) m=/sys/fs/cgroup/${ctrl#name=} ;;
	*) m=/sys/fs/cgroup/${ctrl%%,*} ;;
	esac
	for d in "$m" "$m$path"; do
		[ -d "$d" ] || continue
		n=$((n+1))
		if mkdir "$d/probe" 2>/dev/null; then echo "WRITABLE $d"; rmdir "$d/probe"; fi
	done
done < /proc/self/cgroup
echo "checked $n"`

// TestRootlessCgroupMountIsReadOnlyWithADelegatedCgroup replays
// CVE-2023-25809: a rootless container without a cgroup namespace sees
// the host's cgroup hierarchies, among them the user's delegated
// (writable) cgroup. Whether through the spec's cgroup mount or only
// through `spec --rootless`'s /sys ("rbind", "ro"), every hierarchy must be
// read-only, so the container cannot create cgroups or change limits.
func TestRootlessCgroupMountIsReadOnlyWithADelegatedCgroup(t *testing.T) {
	e := newRootlessEnv(t)
	r, _ := delegatedRuntime(t, e)
	for _, tc := range []struct {
		name        string
		cgroupMount bool
	}{
		{"cgroup_mount_from_the_spec", true},
		{"only_the_rbind_ro_sys", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "rl-cgroup-ro-" + strconv.FormatBool(tc.cgroupMount)
			dir := e.bundle(t, func(s *specs.Spec) {
				if pureV2() {
					// On cgroup v2, spec --rootless adds a cgroup namespace
					// (as runc's does); the CVE's container has none.
					s.Linux.Namespaces = slices.DeleteFunc(s.Linux.Namespaces, func(ns specs.LinuxNamespace) bool { return ns.Type == specs.CgroupNamespace })
					s.Linux.CgroupsPath = delegatedCgroupsPath(id)
				}
				for _, ns := range s.Linux.Namespaces {
					require.NotEqual(t, specs.CgroupNamespace, ns.Type, "the rootless spec has no cgroup namespace")
				}
				if !tc.cgroupMount {
					var kept []specs.Mount
					for _, m := range s.Mounts {
						if m.Type != "cgroup" {
							kept = append(kept, m)
						}
					}
					s.Mounts = kept
				}
			}, "sh", "-c", delegatedCgroupProbe)
			r.deleteOnCleanup(t, id)
			res := r.ok(t, "run", "--bundle", dir, id)
			require.NotContains(t, res.stderr, "not delegated", "the user's cgroup is delegated: the container must get one")
			require.NotContains(t, res.stdout, "WRITABLE")
			require.Regexp(t, `checked [1-9][0-9]*\n$`, res.stdout)
		})
	}
}

// TestRootlessUIDZeroInAUserNamespace runs the runtime as uid 0 of a user
// namespace the unprivileged user made, as rootless Podman does: the
// runtime must tell from /proc/self/uid_map that it is not the host's root
// (XDG state root, no cgroup, devices bound instead of created), both with
// the container's own user namespace and without one.
func TestRootlessUIDZeroInAUserNamespace(t *testing.T) {
	e := newRootlessEnv(t)
	cases := []struct {
		name string
		edit func(s *specs.Spec)
		want string
	}{
		{"own_user_namespace", func(s *specs.Spec) {
			// spec --rootless ran as the user, outside: map uid 0 of the
			// runtime's namespace instead.
			s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 1}}
			s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 1}}
		}, fmt.Sprintf("%10d %10d %10d\n", 0, 0, 1)},
		{"no_user_namespace", func(s *specs.Spec) {
			var ns []specs.LinuxNamespace
			for _, n := range s.Linux.Namespaces {
				if n.Type != specs.UserNamespace {
					ns = append(ns, n)
				}
			}
			s.Linux.Namespaces, s.Linux.UIDMappings, s.Linux.GIDMappings = ns, nil, nil
		}, fmt.Sprintf("%10d %10d %10d\n", 0, e.u.uid, 1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := e.bundle(t, c.edit, "sh", "-c", "cat /proc/self/uid_map; stat -c '%t:%T' /dev/null")
			id := "rl-userns-" + c.name
			res := e.inUserNS.ok(t, "run", "--bundle", dir, id)
			require.Equal(t, c.want+"1:3\n", res.stdout)
			require.Contains(t, res.stderr, "cgroups are not delegated")
		})
	}
	// Without --root, uid 0 in a user namespace with USER set to the
	// user's name uses $XDG_RUNTIME_DIR/gocontainer, as runc does.
	dir := e.bundle(t, cases[0].edit, "sleep", "300")
	// A file, not a pipe: the detached container inherits the runtime's
	// stdio and would hold a pipe open.
	logf, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer logf.Close()
	cmd := exec.Command(e.asUser, "unshare", "--user", "--map-root-user", "--", e.bin, "run", "-d", "--bundle", dir, "rl-userns-root")
	cmd.Stdout, cmd.Stderr = logf, logf
	require.NoError(t, cmd.Run(), "%s", readFile(t, logf.Name()))
	t.Cleanup(func() {
		_ = exec.Command(e.asUser, "unshare", "--user", "--map-root-user", "--", e.bin, "delete", "-f", "rl-userns-root").Run()
	})
	_, err = os.Stat(filepath.Join(e.xdg, "gocontainer", "rl-userns-root", "state.json"))
	require.NoError(t, err, "state under $XDG_RUNTIME_DIR/gocontainer")
	out, err := exec.Command(e.asUser, "unshare", "--user", "--map-root-user", "--", e.bin, "delete", "-f", "rl-userns-root").CombinedOutput()
	require.NoError(t, err, "%s", out)
}

// TestUserNamespaceFilesSeenWithMappedOwners (as root): a container with
// two uid and gid ranges sees files owned by host ids in the second range
// as the mapped ids, unmapped ids as the overflow id, and a file it creates
// as a mapped user is owned on the host by the corresponding host id.
func TestUserNamespaceFilesSeenWithMappedOwners(t *testing.T) {
	r := newRuntime(t)
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}, {ContainerID: 1000, HostID: 200000, Size: 500}}
	s := baseSpec("sh", "-c", "cat /proc/self/uid_map; stat -c %u:%g /owned /unmapped; touch /home/u/new; id -u")
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings, s.Linux.GIDMappings = maps, maps
	s.Process.User = specs.User{UID: 1007, GID: 1009}
	b := newBundle(t, s)
	require.NoError(t, os.Chmod(b.dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(b.dir), 0o755))
	for _, f := range []struct {
		path     string
		uid, gid int
	}{{"owned", 200007, 200009}, {"unmapped", 300000, 300000}} {
		p := filepath.Join(b.rootfs, f.path)
		require.NoError(t, os.WriteFile(p, nil, 0o644))
		require.NoError(t, os.Chown(p, f.uid, f.gid))
	}
	home := filepath.Join(b.rootfs, "home", "u")
	require.NoError(t, os.MkdirAll(home, 0o755))
	require.NoError(t, os.Chown(home, 200007, 200009))

	res := r.ok(t, "run", "--bundle", b.dir, "userns-owners")
	want := fmt.Sprintf("%10d %10d %10d\n%10d %10d %10d\n1007:1009\n65534:65534\n1007\n", 0, 100000, 1000, 1000, 200000, 500)
	require.Equal(t, want, res.stdout, res.String())
	fi, err := os.Stat(filepath.Join(home, "new"))
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	require.Equal(t, uint32(200007), st.Uid)
	require.Equal(t, uint32(200009), st.Gid)
}

// TestRootlessProcessSettings: what an unprivileged runtime may do is
// done (raise oom_score_adj, lower rlimits, ipc sysctls of the container's
// own ipc namespace), and what only root may do fails on one line naming
// the field and why.
func TestRootlessProcessSettings(t *testing.T) {
	e := newRootlessEnv(t)
	oom := func(v int) func(s *specs.Spec) { return func(s *specs.Spec) { s.Process.OOMScoreAdj = &v } }
	cases := []struct {
		name    string
		edit    func(s *specs.Spec)
		args    []string
		want    string   // stdout, when the run succeeds
		wantErr []string // error words, when it must fail
	}{
		{"oom_score_adj_raised", oom(200), []string{"cat", "/proc/self/oom_score_adj"}, "200\n", nil},
		{"oom_score_adj_lowered", oom(-500), []string{"true"}, "", []string{"process.oomScoreAdj -500", "can only raise it"}},
		{"rlimit_lowered", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 256, Hard: 512}}
		}, []string{"sh", "-c", "ulimit -n; ulimit -Hn"}, "256\n512\n", nil},
		{"rlimit_hard_raised", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 1 << 30}}
		}, []string{"true"}, "", []string{"RLIMIT_NOFILE", "operation not permitted"}},
		{"ipc_sysctl", func(s *specs.Spec) {
			s.Linux.Sysctl = map[string]string{"kernel.msgmax": "9000"}
		}, []string{"cat", "/proc/sys/kernel/msgmax"}, "9000\n", nil},
		{"additional_gids_with_setgroups_denied", func(s *specs.Spec) {
			s.Process.User.AdditionalGids = []uint32{5}
		}, []string{"true"}, "", []string{"process.user.additionalGids", "setgroups is denied"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := e.bundle(t, c.edit, c.args...)
			res := e.rt.run(t, "run", "--bundle", dir, fmt.Sprintf("rl-proc-%d", i))
			if c.wantErr == nil {
				require.Equal(t, 0, res.code, res.String())
				require.Equal(t, c.want, res.stdout)
				return
			}
			res.stderr = strings.TrimPrefix(res.stderr[strings.LastIndex(strings.TrimSuffix(res.stderr, "\n"), "\n")+1:], "\n")
			requireOneLineError(t, res, c.wantErr...)
		})
	}
}

// TestRootlessExec: exec as the user joins the container's user namespace
// (uid 0 inside, the user's map) and the rest of its namespaces.
func TestRootlessExec(t *testing.T) {
	e := newRootlessEnv(t)
	r := e.rt
	if res := r.run(t, "exec", "rl-probe", "true"); strings.Contains(res.stderr, "not implemented") {
		t.Skip("exec is not implemented by this binary (issue 5 item 1)")
	}
	dir := e.bundle(t, nil, "sleep", "300")
	id := "rl-exec"
	r.deleteOnCleanup(t, id)
	r.ok(t, "run", "-d", "--bundle", dir, id)
	res := r.ok(t, "exec", id, "sh", "-c", "id -u; cat /proc/self/uid_map; hostname; readlink /proc/1/exe")
	host, err := os.ReadFile(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	var s specs.Spec
	require.NoError(t, json.Unmarshal(host, &s))
	require.Equal(t, fmt.Sprintf("0\n%10d %10d %10d\n%s\n/bin/busybox\n", 0, e.u.uid, 1, s.Hostname), res.stdout)
	res = r.run(t, "exec", id, "sh", "-c", "exit 3")
	require.Equal(t, 3, res.code, res.String())
}

// TestUserNamespaceUnderASeccompProfileWithoutStatx: the init checks
// /proc/self/setgroups after the container's seccomp profile is loaded
// (without no_new_privileges it goes on before the user switch), so that
// check must not need a syscall a profile may refuse: runtime-tools'
// profile has no statx (linux_uid_mappings, linux_ns_nopath).
func TestUserNamespaceUnderASeccompProfileWithoutStatx(t *testing.T) {
	r := newRuntime(t)
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	s := baseSpec("sh", "-c", "cat /proc/self/setgroups")
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings, s.Linux.GIDMappings = maps, maps
	enosys := uint(syscall.ENOSYS)
	s.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"statx"}, Action: specs.ActErrno, ErrnoRet: &enosys}},
	}
	s.Process.NoNewPrivileges = false
	b := newBundle(t, s)
	require.NoError(t, os.Chmod(b.dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(b.dir), 0o755))
	res := r.ok(t, "run", "--bundle", b.dir, "userns-seccomp")
	require.Equal(t, "allow\n", res.stdout)
}
