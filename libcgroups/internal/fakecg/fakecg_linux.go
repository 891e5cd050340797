// Package fakecg builds fake cgroup trees in a temporary directory for unit
// tests: a Legacy, Hybrid or Unified layout whose statfs magic numbers,
// /proc/self/cgroup and /proc/self/mountinfo are faked through common.Host,
// and whose mkdir/rmdir emulate the kernel (a new cgroup gets its control
// files; rmdir fails with EBUSY while the cgroup has children or tasks).
package fakecg

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups/common"
)

// Hier is a fake v1 hierarchy: its directory name under the root and its
// controllers (e.g. Dir "cpu,cpuacct", Controllers cpu, cpuacct).
type Hier struct {
	Dir         string
	Controllers []string
}

// DefaultV1 mirrors the hierarchies of the development host, plus a
// co-mounted cpu,cpuacct to exercise co-mounts.
var DefaultV1 = []Hier{
	{Dir: "cpu,cpuacct", Controllers: []string{"cpu", "cpuacct"}},
	{Dir: "cpuset", Controllers: []string{"cpuset"}},
	{Dir: "memory", Controllers: []string{"memory"}},
	{Dir: "devices", Controllers: []string{"devices"}},
	{Dir: "freezer", Controllers: []string{"freezer"}},
	{Dir: "blkio", Controllers: []string{"blkio"}},
	{Dir: "pids", Controllers: []string{"pids"}},
	{Dir: "systemd", Controllers: []string{"name=systemd"}},
}

// Tree is a fake cgroup filesystem.
type Tree struct {
	Root  string
	Setup common.Setup
	V1    []Hier
	// V2Controllers are listed in the cgroup2 root's cgroup.controllers.
	V2Controllers []string
	// SelfCgroup is returned for /proc/self/cgroup; New sets every
	// hierarchy to "/".
	SelfCgroup string
}

// New makes a fake tree of the given setup. On Legacy and Hybrid it has
// the v1 hierarchies in v1 (DefaultV1 if nil); on Hybrid and Unified a
// cgroup2 tree offering v2ctrls.
func New(t testing.TB, setup common.Setup, v1 []Hier, v2ctrls []string) *Tree {
	t.Helper()
	tr := &Tree{Root: t.TempDir(), Setup: setup, V2Controllers: v2ctrls}
	if setup != common.Unified {
		if v1 == nil {
			v1 = DefaultV1
		}
		tr.V1 = v1
	}
	var self []string
	for i, h := range tr.V1 {
		mp := filepath.Join(tr.Root, h.Dir)
		must(t, os.Mkdir(mp, 0o755))
		tr.populate(t, mp, true)
		for _, c := range h.Controllers {
			if c != h.Dir && !strings.HasPrefix(c, "name=") {
				must(t, os.Symlink(h.Dir, filepath.Join(tr.Root, c)))
			}
		}
		self = append(self, fmt.Sprintf("%d:%s:/", len(tr.V1)-i, strings.Join(h.Controllers, ",")))
	}
	if setup != common.Legacy {
		um := tr.UnifiedRoot()
		if setup == common.Hybrid {
			must(t, os.Mkdir(um, 0o755))
		}
		tr.populate(t, um, true)
		self = append(self, "0::/")
	}
	tr.SelfCgroup = strings.Join(self, "\n") + "\n"
	return tr
}

// UnifiedRoot is the cgroup2 mountpoint.
func (tr *Tree) UnifiedRoot() string {
	if tr.Setup == common.Hybrid {
		return filepath.Join(tr.Root, "unified")
	}
	return tr.Root
}

// Mountinfo renders /proc/self/mountinfo for the tree.
func (tr *Tree) Mountinfo() string {
	var b strings.Builder
	fmt.Fprintf(&b, "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n")
	id := 30
	if tr.Setup == common.Unified {
		fmt.Fprintf(&b, "%d 22 0:27 / %s rw - cgroup2 cgroup2 rw,nsdelegate\n", id, tr.Root)
		return b.String()
	}
	fmt.Fprintf(&b, "%d 22 0:27 / %s rw - tmpfs tmpfs rw,mode=755\n", id, tr.Root)
	for i, h := range tr.V1 {
		fmt.Fprintf(&b, "%d 30 0:%d / %s rw,relatime - cgroup cgroup rw,%s\n", id+i+1, 28+i, filepath.Join(tr.Root, h.Dir), strings.Join(h.Controllers, ","))
	}
	if tr.Setup == common.Hybrid {
		fmt.Fprintf(&b, "%d 30 0:60 / %s rw,relatime - cgroup2 cgroup2 rw\n", id+50, tr.UnifiedRoot())
	}
	return b.String()
}

// Host returns the common.Host that makes the code under test see the tree.
func (tr *Tree) Host() common.Host {
	return common.Host{
		Root:   tr.Root,
		Statfs: tr.statfs,
		ReadProcSelf: func(name string) ([]byte, error) {
			switch name {
			case "cgroup":
				return []byte(tr.SelfCgroup), nil
			case "mountinfo":
				return []byte(tr.Mountinfo()), nil
			}
			return nil, fmt.Errorf("fake /proc/self/%s: %w", name, os.ErrNotExist)
		},
		Mkdir: tr.mkdir,
		Rmdir: tr.rmdir,
	}
}

func (tr *Tree) statfs(p string, st *unix.Statfs_t) error {
	p = filepath.Clean(p)
	if _, err := os.Stat(p); err != nil {
		return unix.ENOENT
	}
	switch {
	case p == tr.Root && tr.Setup == common.Unified:
		st.Type = unix.CGROUP2_SUPER_MAGIC
	case p == tr.Root:
		st.Type = unix.TMPFS_MAGIC
	case tr.Setup == common.Hybrid && p == tr.UnifiedRoot():
		st.Type = unix.CGROUP2_SUPER_MAGIC
	case tr.hierOf(p) != nil:
		st.Type = unix.CGROUP_SUPER_MAGIC
	default:
		st.Type = 0xEF53 // ext4
	}
	return nil
}

// hierOf returns the v1 hierarchy p is in (following the co-mount symlinks
// the way a path walk would), nil for the cgroup2 tree or elsewhere.
func (tr *Tree) hierOf(p string) *Hier {
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	for i, h := range tr.V1 {
		mp := filepath.Join(tr.Root, h.Dir)
		if p == mp || strings.HasPrefix(p, mp+"/") {
			return &tr.V1[i]
		}
	}
	return nil
}

func (tr *Tree) inV2(p string) bool {
	if tr.Setup == common.Legacy {
		return false
	}
	if tr.Setup == common.Unified {
		return p == tr.Root || strings.HasPrefix(p, tr.Root+"/")
	}
	u := tr.UnifiedRoot()
	return p == u || strings.HasPrefix(p, u+"/")
}

func (tr *Tree) mkdir(p string, perm os.FileMode) error {
	if err := os.Mkdir(p, perm); err != nil {
		return err
	}
	tr.populateErr(p, false)
	return nil
}

// populate writes the control files the kernel shows in a cgroup dir.
func (tr *Tree) populate(t testing.TB, dir string, root bool) {
	t.Helper()
	must(t, tr.populateErr(dir, root))
}

func (tr *Tree) populateErr(dir string, root bool) error {
	files := map[string]string{"cgroup.procs": ""}
	if h := tr.hierOf(dir); h != nil {
		files["tasks"] = ""
		files["notify_on_release"] = "0"
		for _, c := range h.Controllers {
			switch c {
			case "cpuset":
				files["cpuset.cpus"], files["cpuset.mems"] = "", ""
				if root {
					files["cpuset.cpus"], files["cpuset.mems"] = "0-1\n", "0\n"
				}
			case "freezer":
				if !root {
					files["freezer.state"] = "THAWED\n"
				}
			case "pids":
				if !root {
					files["pids.max"], files["pids.current"] = "max\n", "0\n"
				}
			case "memory":
				files["memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"
			}
		}
	} else if tr.inV2(dir) {
		var avail []string
		if root {
			avail = tr.V2Controllers
		} else {
			sc, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "cgroup.subtree_control"))
			if err != nil {
				return err
			}
			avail = parseSubtree(string(sc))
		}
		files["cgroup.controllers"] = strings.Join(avail, " ") + "\n"
		files["cgroup.subtree_control"] = "\n"
		if !root {
			files["cgroup.freeze"] = "0\n"
			files["cgroup.events"] = "populated 0\nfrozen 0\n"
			files["memory.events"] = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"
			for _, c := range avail {
				switch c {
				case "pids":
					files["pids.max"], files["pids.current"] = "max\n", "0\n"
				case "hugetlb":
					files["hugetlb.2MB.max"] = "max\n"
				}
			}
		}
	}
	for name, v := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// parseSubtree reads a fake cgroup.subtree_control, which holds whatever
// was last written ("+pids" from the code under test, or "pids hugetlb").
func parseSubtree(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		f = strings.TrimPrefix(f, "+")
		if !strings.HasPrefix(f, "-") && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// rmdir emulates rmdir(2) on a cgroup: EBUSY with child cgroups or tasks,
// otherwise the control files vanish with the directory.
func (tr *Tree) rmdir(p string) error {
	ents, err := os.ReadDir(p)
	if err != nil {
		return unix.ENOENT
	}
	for _, e := range ents {
		if e.IsDir() {
			return unix.EBUSY
		}
	}
	if procs, err := os.ReadFile(filepath.Join(p, "cgroup.procs")); err == nil && strings.TrimSpace(string(procs)) != "" {
		return unix.EBUSY
	}
	for _, e := range ents {
		if err := os.Remove(filepath.Join(p, e.Name())); err != nil {
			return err
		}
	}
	return unix.Rmdir(p)
}

// Read returns the trimmed content of a file in the tree.
func Read(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	must(t, err)
	return strings.TrimSpace(string(b))
}

// Write sets the content of a file in the tree.
func Write(t testing.TB, p, v string) {
	t.Helper()
	must(t, os.WriteFile(p, []byte(v), 0o644))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
