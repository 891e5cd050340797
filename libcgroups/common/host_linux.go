package common

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultRoot is where cgroup hierarchies are mounted on every mainstream
// distribution.
const DefaultRoot = "/sys/fs/cgroup"

// Host is the view of the machine's cgroup filesystems a manager works on.
// The zero value is the real host. Tests point Root at a temporary tree and
// replace the functions so the tree can pretend to be any setup.
type Host struct {
	// Root is the cgroup mount root; "" means DefaultRoot.
	Root string
	// Statfs is unix.Statfs unless set.
	Statfs func(path string, buf *unix.Statfs_t) error
	// ReadProcSelf returns /proc/self/<name> for name "cgroup" or
	// "mountinfo"; nil reads the real files.
	ReadProcSelf func(name string) ([]byte, error)
	// Mkdir is os.Mkdir unless set. A fake tree uses it to populate the
	// control files the kernel creates in a new cgroup.
	Mkdir func(path string, perm os.FileMode) error
	// Rmdir is unix.Rmdir unless set. A fake tree needs a version that
	// removes the control files first, as the kernel does for a cgroup dir.
	Rmdir func(path string) error
}

// WithDefaults returns h with every unset field filled in.
func (h Host) WithDefaults() Host {
	if h.Root == "" {
		h.Root = DefaultRoot
	}
	h.Root = filepath.Clean(h.Root)
	if h.Statfs == nil {
		h.Statfs = unix.Statfs
	}
	if h.ReadProcSelf == nil {
		h.ReadProcSelf = func(name string) ([]byte, error) {
			return os.ReadFile(filepath.Join("/proc/self", name))
		}
	}
	if h.Rmdir == nil {
		h.Rmdir = unix.Rmdir
	}
	if h.Mkdir == nil {
		h.Mkdir = os.Mkdir
	}
	return h
}

// CachingProcSelf returns h (with defaults) whose ReadProcSelf reads each
// file once and then returns the same bytes. A manager is built from
// /proc/self/cgroup and /proc/self/mountinfo, which New and Load each
// consult several times (hierarchies, own cgroup, the cgroup2 mount root);
// on a host with a few hundred mounts every read and parse costs a
// short-lived runtime command a noticeable share of its run. The cache
// lives as long as the manager: cgroup hierarchies are not remounted
// under a running container.
func (h Host) CachingProcSelf() Host {
	h = h.WithDefaults()
	read := h.ReadProcSelf
	var mu sync.Mutex
	cache := map[string][]byte{}
	h.ReadProcSelf = func(name string) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if b, ok := cache[name]; ok {
			return b, nil
		}
		b, err := read(name)
		if err != nil {
			return nil, err
		}
		cache[name] = b
		return b, nil
	}
	return h
}

// MkdirAll creates dir and its missing parents (mode 0755) with h.Mkdir,
// top down, so that each new cgroup's parent exists when it is made.
func (h Host) MkdirAll(dir string) error {
	h = h.WithDefaults()
	if Exists(dir) {
		return nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := h.MkdirAll(parent); err != nil {
			return err
		}
	}
	if err := h.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create cgroup: %w", err)
	}
	return nil
}

func (h Host) fsType(p string) (int64, error) {
	var st unix.Statfs_t
	if err := h.Statfs(p, &st); err != nil {
		return 0, &os.PathError{Op: "statfs", Path: p, Err: err}
	}
	return int64(st.Type), nil
}

// UnifiedMountpoint is where the cgroup2 tree is mounted for the setup:
// the root itself on Unified, <root>/unified on Hybrid.
func (h Host) UnifiedMountpoint(s Setup) string {
	h = h.WithDefaults()
	if s == Hybrid {
		return filepath.Join(h.Root, "unified")
	}
	return h.Root
}

// DetectSetup tells how cgroups are mounted under h.Root, from the
// filesystem magic numbers (statfs(2)): a cgroup2 root is Unified; a tmpfs
// root is Hybrid when <root>/unified is cgroup2, and Legacy when at least one
// of its subdirectories is a cgroup v1 mount.
func (h Host) DetectSetup() (Setup, error) {
	h = h.WithDefaults()
	t, err := h.fsType(h.Root)
	if err != nil {
		return 0, fmt.Errorf("detect cgroup setup: %w", err)
	}
	switch t {
	case unix.CGROUP2_SUPER_MAGIC:
		return Unified, nil
	case unix.CGROUP_SUPER_MAGIC:
		// A single v1 hierarchy mounted directly on the root.
		return Legacy, nil
	case unix.TMPFS_MAGIC:
	default:
		return 0, fmt.Errorf("detect cgroup setup: %s is neither tmpfs nor a cgroup filesystem (magic %#x): %w", h.Root, t, ErrNoCgroupFS)
	}
	if t, err := h.fsType(filepath.Join(h.Root, "unified")); err == nil && t == unix.CGROUP2_SUPER_MAGIC {
		return Hybrid, nil
	}
	ents, err := os.ReadDir(h.Root)
	if err != nil {
		return 0, fmt.Errorf("detect cgroup setup: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue // co-mount symlinks such as cpu -> cpu,cpuacct are seen via their target
		}
		if t, err := h.fsType(filepath.Join(h.Root, e.Name())); err == nil && t == unix.CGROUP_SUPER_MAGIC {
			return Legacy, nil
		}
	}
	return 0, fmt.Errorf("detect cgroup setup: %s is a tmpfs with no cgroup mounts: %w", h.Root, ErrNoCgroupFS)
}

// Hierarchy is one mounted cgroup v1 hierarchy.
type Hierarchy struct {
	// Controllers bound to it: "cpu", "cpuacct", ..., or "name=systemd" for
	// a named hierarchy without controllers.
	Controllers []string
	Mountpoint  string
	// Root is the hierarchy path that is mounted at Mountpoint.
	Root string
	// NoPrefix is set when mounted with -o noprefix (cpuset files are then
	// "cpus", "mems" instead of "cpuset.cpus", "cpuset.mems").
	NoPrefix bool
}

// Has reports whether the hierarchy carries the controller.
func (h Hierarchy) Has(ctrl string) bool { return slices.Contains(h.Controllers, ctrl) }

// knownV1 lists the v1 controllers; super options that are not controllers
// (rw, relatime, noprefix, clone_children, xattr, release_agent=...) are not
// in it. Controllers named in /proc/self/cgroup are also accepted, so a
// controller newer than this list is still recognised.
var knownV1 = []string{
	"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "blkio",
	"perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc", "debug",
}

// Hierarchies lists the cgroup v1 hierarchies mounted under h.Root, from
// /proc/self/mountinfo. A hierarchy mounted several times is reported once,
// at its first mountpoint under the root. Co-mounted controllers (cpu,cpuacct)
// share one Hierarchy.
func (h Host) Hierarchies() ([]Hierarchy, error) {
	h = h.WithDefaults()
	mi, err := h.ReadProcSelf("mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read /proc/self/mountinfo: %w", err)
	}
	mounts, err := ParseCgroupMounts(mi)
	if err != nil {
		return nil, err
	}
	known := slices.Clone(knownV1)
	if pc, err := h.ReadProcSelf("cgroup"); err == nil {
		if lines, err := ParseProcCgroup(pc); err == nil {
			for _, l := range lines {
				known = append(known, l.Controllers...)
			}
		}
	}
	var out []Hierarchy
	seen := map[string]bool{}
	for _, m := range mounts {
		if m.FSType != "cgroup" || !under(m.Mountpoint, h.Root) {
			continue
		}
		hy := Hierarchy{Mountpoint: m.Mountpoint, Root: m.Root}
		for _, o := range m.SuperOpts {
			switch {
			case o == "noprefix":
				hy.NoPrefix = true
			case strings.HasPrefix(o, "name="), slices.Contains(known, o):
				hy.Controllers = append(hy.Controllers, o)
			}
		}
		if len(hy.Controllers) == 0 {
			continue
		}
		slices.Sort(hy.Controllers)
		key := strings.Join(hy.Controllers, ",")
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, hy)
	}
	return out, nil
}

// under reports whether p is root or a path below it.
func under(p, root string) bool {
	p = filepath.Clean(p)
	return p == root || strings.HasPrefix(p, root+"/")
}

// UnifiedControllers returns the controllers listed in cgroup.controllers
// of the cgroup2 root for the setup (none on Legacy).
func (h Host) UnifiedControllers(s Setup) ([]string, error) {
	if s == Legacy {
		return nil, nil
	}
	c, err := ReadFile(h.UnifiedMountpoint(s), "cgroup.controllers")
	if err != nil {
		return nil, err
	}
	return strings.Fields(c), nil
}

// Cgroup2MountRoot returns the hierarchy path mounted at the cgroup2
// mountpoint (mountinfo field 4): "/" normally, a sub-cgroup when a
// container bind-mounts its own cgroup there without a cgroup namespace.
// "/" when mountinfo cannot tell.
func (h Host) Cgroup2MountRoot(mountpoint string) string {
	h = h.WithDefaults()
	mi, err := h.ReadProcSelf("mountinfo")
	if err != nil {
		return "/"
	}
	mounts, err := ParseCgroupMounts(mi)
	if err != nil {
		return "/"
	}
	root := "/"
	for _, m := range mounts {
		if m.FSType == "cgroup2" && filepath.Clean(m.Mountpoint) == mountpoint {
			root = m.Root // the last mount on a mountpoint is the visible one
		}
	}
	return root
}

// OwnCgroups parses /proc/self/cgroup: the calling process's cgroup per v1
// hierarchy (keyed by every controller of the hierarchy, e.g. "cpu" and
// "cpuacct", and "name=systemd") and on v2 (key UnifiedKey, the "0::" line).
func (h Host) OwnCgroups() (map[string]string, error) {
	h = h.WithDefaults()
	data, err := h.ReadProcSelf("cgroup")
	if err != nil {
		return nil, fmt.Errorf("read /proc/self/cgroup: %w", err)
	}
	lines, err := ParseProcCgroup(data)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, l := range lines {
		if l.ID == 0 {
			m[UnifiedKey] = l.Path
			continue
		}
		for _, c := range l.Controllers {
			m[c] = l.Path
		}
	}
	return m, nil
}

// RemovePath removes the cgroup dir and every cgroup below it, children
// first (rmdir of a cgroup with children fails with EBUSY). A dir that is
// already gone is not an error. EBUSY from a cgroup that still has tasks is
// retried for a short while (about 0.6s): tasks just killed leave the cgroup
// only once they have been reaped and exited completely.
func (h Host) RemovePath(dir string) error {
	return h.removePath(dir, removeRetries)
}

// RemovePaths removes several cgroup trees (one per v1 hierarchy). Once one
// has stayed busy through the retries the others hold the same tasks, so
// they get a single attempt each instead of the full wait; every one is
// still tried, so nothing removable is left behind.
func (h Host) RemovePaths(dirs []string) error {
	retries := removeRetries
	var errs []error
	for _, d := range dirs {
		if err := h.removePath(d, retries); err != nil {
			errs = append(errs, err)
			if errors.Is(err, unix.EBUSY) {
				retries = 0
			}
		}
	}
	return errors.Join(errs...)
}

const removeRetries = 7 // 5ms doubling: about 0.6s in total

func (h Host) removePath(dir string, retries int) error {
	h = h.WithDefaults()
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	for _, e := range ents {
		if e.IsDir() {
			if err := h.removePath(filepath.Join(dir, e.Name()), retries); err != nil {
				return err
			}
		}
	}
	delay := 5 * time.Millisecond
	for i := 0; ; i++ {
		err := h.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || i >= retries {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(delay)
		delay *= 2
	}
}
