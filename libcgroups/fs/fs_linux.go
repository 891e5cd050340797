// Package fs manages cgroup v1 hierarchies through cgroupfs: one directory
// per mounted hierarchy, named ones such as name=systemd included.
package fs

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups/common"
)

// DefaultFreezeTimeout is common.DefaultFreezeTimeout.
const DefaultFreezeTimeout = common.DefaultFreezeTimeout

// Options configure a v1 Manager.
type Options struct {
	Host common.Host
	// Path is the container's cgroup path, already checked with
	// common.CleanPath: absolute (from each hierarchy root) or relative (from
	// the caller's own cgroup in each hierarchy).
	Path          string
	Logger        *slog.Logger
	FreezeTimeout time.Duration
}

// Manager is a cgroup v1 manager. Its methods are safe to call from one
// goroutine at a time.
type Manager struct {
	host          common.Host
	log           *slog.Logger
	freezeTimeout time.Duration
	dirs          []cgroupDir       // one per hierarchy, in mount order
	paths         map[string]string // controller -> dir; co-mounted ones share a dir
	// unresolved is set by Load until resolve has read the hierarchies.
	unresolved bool
	// writeFile is common.WriteFile; tests wrap it to record the order of
	// writes and to make the fake kernel refuse one.
	writeFile func(dir, file, value string) error
}

type cgroupDir struct {
	path string
	hier common.Hierarchy
}

// New computes the container's directory in every mounted v1 hierarchy. It
// touches nothing; Apply creates them.
func New(opts Options) (*Manager, error) {
	m := newManager(opts)
	hiers, err := m.host.Hierarchies()
	if err != nil {
		return nil, err
	}
	if len(hiers) == 0 {
		return nil, fmt.Errorf("no cgroup v1 hierarchy mounted under %s: %w", m.host.Root, common.ErrNoCgroupFS)
	}
	var own map[string]string
	if !filepath.IsAbs(opts.Path) {
		if own, err = m.host.OwnCgroups(); err != nil {
			return nil, err
		}
	}
	for _, h := range hiers {
		dir, err := common.JoinCgroupDir(h.Mountpoint, h.Root, own[h.Controllers[0]], opts.Path)
		if err != nil {
			return nil, fmt.Errorf("cgroup v1 %s: %w", strings.Join(h.Controllers, ","), err)
		}
		m.add(dir, h)
	}
	return m, nil
}

// Load rebuilds a manager from the paths an earlier manager reported
// (Paths(), saved in state.json). The caller's own cgroup is not consulted,
// so a relative path resolves as it did at create time even when a later
// command runs from another cgroup. Keys that are no longer mounted are kept
// as plain directories (no cpuset initialisation on Apply).
//
// Load does not read /proc/self/mountinfo: delete, kill, state and the like
// load a container on every command and only need the saved paths. The
// hierarchy details (mountpoint, noprefix) are looked up the first time
// something needs them (see resolve), e.g. cpuset initialisation in Apply.
// The one exception is a saved map that names only one of a pair of
// controllers that are usually co-mounted (cpu/cpuacct, net_cls/net_prio),
// as state written by older versions may: mountinfo is read at once then, so
// that the missing key still gets its directory.
func Load(opts Options, paths map[string]string) (*Manager, error) {
	m := newManager(opts)
	byDir := map[string]int{} // dir -> index in m.dirs
	for _, key := range sortedKeys(paths) {
		dir := paths[key]
		if key == common.UnifiedKey {
			continue
		}
		if !filepath.IsAbs(dir) {
			return nil, fmt.Errorf("load cgroup path %s=%q: not absolute: %w", key, dir, common.ErrInvalidPath)
		}
		dir = filepath.Clean(dir)
		if i, ok := byDir[dir]; ok {
			// Co-mounted controllers were saved with the same directory.
			m.dirs[i].hier.Controllers = append(m.dirs[i].hier.Controllers, key)
			m.paths[key] = dir
			continue
		}
		byDir[dir] = len(m.dirs)
		m.add(dir, common.Hierarchy{Controllers: []string{key}})
	}
	m.unresolved = true
	if partialComount(m.paths) {
		if err := m.resolve(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// comountPairs are controllers that distributions mount together.
var comountPairs = [][2]string{{"cpu", "cpuacct"}, {"net_cls", "net_prio"}}

func partialComount(paths map[string]string) bool {
	for _, p := range comountPairs {
		_, a := paths[p[0]]
		_, b := paths[p[1]]
		if a != b {
			return true
		}
	}
	return false
}

// resolve fills in the hierarchy details of a loaded manager from
// /proc/self/mountinfo, once. A saved key whose hierarchy is no longer
// mounted keeps a bare Hierarchy (no mountpoint), and co-mounted controllers
// missing from the saved map get their directory.
func (m *Manager) resolve() error {
	if !m.unresolved {
		return nil
	}
	hiers, err := m.host.Hierarchies()
	if err != nil {
		return err
	}
	m.unresolved = false
	for i := range m.dirs {
		d := &m.dirs[i]
		for _, hh := range hiers {
			if slices.ContainsFunc(d.hier.Controllers, hh.Has) {
				d.hier = hh
			}
		}
		// A co-mounted controller missing from the saved map (older
		// state) still gets its key.
		for _, c := range d.hier.Controllers {
			if _, ok := m.paths[c]; !ok {
				m.paths[c] = d.path
			}
		}
	}
	return nil
}

func newManager(opts Options) *Manager {
	m := &Manager{
		host:          opts.Host.WithDefaults(),
		log:           opts.Logger,
		freezeTimeout: opts.FreezeTimeout,
		paths:         map[string]string{},
		writeFile:     common.WriteFile,
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.freezeTimeout <= 0 {
		m.freezeTimeout = DefaultFreezeTimeout
	}
	return m
}

func (m *Manager) add(dir string, h common.Hierarchy) {
	m.dirs = append(m.dirs, cgroupDir{path: dir, hier: h})
	for _, c := range h.Controllers {
		m.paths[c] = dir
	}
}

// Apply creates the container's directory in every hierarchy and, unless pid
// is -1, moves pid into each.
func (m *Manager) Apply(pid int) error {
	for _, d := range m.dirs {
		if err := m.create(d); err != nil {
			return err
		}
		if pid == -1 {
			continue
		}
		m.log.Debug("cgroup v1: add pid", slog.Int("pid", pid), slog.String("dir", d.path))
		if err := common.AddPid(d.path, pid); err != nil {
			return fmt.Errorf("add pid %d to cgroup: %w", pid, err)
		}
	}
	return nil
}

func (m *Manager) create(d cgroupDir) error {
	if d.hier.Has("cpuset") && m.unresolved {
		if err := m.resolve(); err != nil {
			return err
		}
		return m.create(m.dirOf("cpuset"))
	}
	if !d.hier.Has("cpuset") || d.hier.Mountpoint == "" {
		m.log.Debug("cgroup v1: create", slog.String("dir", d.path))
		return m.host.MkdirAll(d.path)
	}
	return m.createCpuset(d)
}

// createCpuset creates each level of a cpuset cgroup in turn and copies
// cpuset.cpus and cpuset.mems down from the parent where they are empty. A
// new v1 cpuset cgroup starts with both empty, and the kernel refuses to
// attach a task to it (ENOSPC) until they are set; setting a child requires
// the parent to be set first. Levels that already exist are fixed too, as a
// crashed earlier run may have left them empty.
func (m *Manager) createCpuset(d cgroupDir) error {
	rel, err := filepath.Rel(d.hier.Mountpoint, d.path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("create cpuset cgroup %s: not under mountpoint %s: %w", d.path, d.hier.Mountpoint, common.ErrInvalidPath)
	}
	cpus, mems := "cpuset.cpus", "cpuset.mems"
	if d.hier.NoPrefix {
		cpus, mems = "cpus", "mems"
	}
	parent := d.hier.Mountpoint
	for _, elem := range strings.Split(rel, "/") {
		cur := filepath.Join(parent, elem)
		m.log.Debug("cgroup v1: create cpuset level", slog.String("dir", cur))
		if err := m.host.Mkdir(cur, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create cgroup: %w", err)
		}
		for _, f := range []string{cpus, mems} {
			if err := copyIfEmpty(parent, cur, f); err != nil {
				return err
			}
		}
		parent = cur
	}
	return nil
}

func copyIfEmpty(parent, cur, file string) error {
	v, err := common.ReadFile(cur, file)
	if err != nil {
		return fmt.Errorf("init cpuset: %w", err)
	}
	if strings.TrimSpace(v) != "" {
		return nil
	}
	pv, err := common.ReadFile(parent, file)
	if err != nil {
		return fmt.Errorf("init cpuset: %w", err)
	}
	pv = strings.TrimSpace(pv)
	if pv == "" {
		return fmt.Errorf("init cpuset: %s is empty, nothing to copy to %s", filepath.Join(parent, file), cur)
	}
	if err := common.WriteFile(cur, file, pv); err != nil {
		return fmt.Errorf("init cpuset: %w", err)
	}
	return nil
}

// dirOf returns the cgroupDir that holds controller c (zero if none).
func (m *Manager) dirOf(c string) cgroupDir {
	for _, d := range m.dirs {
		if d.hier.Has(c) {
			return d
		}
	}
	return cgroupDir{}
}

// AddTask moves pid into the existing cgroup in every hierarchy (exec joins
// a running container this way). It does not create directories: if the
// container's cgroup is gone the error wraps common.ErrNotExist.
func (m *Manager) AddTask(pid int) error {
	for _, d := range m.dirs {
		if !common.Exists(d.path) {
			return fmt.Errorf("add pid %d: %s: %w", pid, d.path, common.ErrNotExist)
		}
		m.log.Debug("cgroup v1: add pid", slog.Int("pid", pid), slog.String("dir", d.path))
		if err := common.AddPid(d.path, pid); err != nil {
			return fmt.Errorf("add pid %d to cgroup: %w", pid, err)
		}
	}
	return nil
}

// SetPidsMax writes pids.max for an OCI pids.limit (see common.PidsMaxValue).
func (m *Manager) SetPidsMax(limit int64) error {
	dir, ok := m.paths["pids"]
	if !ok {
		return fmt.Errorf("set linux.resources.pids.limit: pids hierarchy not mounted under %s: %w", m.host.Root, common.ErrControllerUnavailable)
	}
	v := common.PidsMaxValue(limit)
	m.log.Debug("cgroup v1: set pids.max", slog.String("dir", dir), slog.String("value", v))
	if err := m.writeFile(dir, "pids.max", v); err != nil {
		return fmt.Errorf("set linux.resources.pids.limit: %w", err)
	}
	return nil
}

// Freeze freezes or thaws the cgroup with the v1 freezer. Freezing writes
// FROZEN and polls freezer.state until the kernel reports FROZEN (it says
// FREEZING while tasks are still being stopped). A freeze that is stuck
// (a task in uninterruptible sleep can keep it FREEZING) is retried by
// thawing and freezing again; after the timeout the cgroup is thawed and
// ErrFreezeTimeout returned, so a failed pause never leaves it half frozen.
func (m *Manager) Freeze(state common.FreezerState) error {
	dir, ok := m.paths["freezer"]
	if !ok {
		return fmt.Errorf("freeze: freezer hierarchy not mounted under %s: %w", m.host.Root, common.ErrControllerUnavailable)
	}
	m.log.Debug("cgroup v1: freezer", slog.String("dir", dir), slog.String("state", string(state)))
	switch state {
	case common.Thawed:
		return common.WriteFile(dir, "freezer.state", string(common.Thawed))
	case common.Frozen:
	default:
		return fmt.Errorf("freeze %s: invalid freezer state %q", dir, state)
	}
	deadline := time.Now().Add(m.freezeTimeout)
	sleep := 100 * time.Microsecond
	for i := 0; ; i++ {
		if i > 0 && i%50 == 0 {
			if err := common.WriteFile(dir, "freezer.state", string(common.Thawed)); err != nil {
				return err
			}
		}
		if err := common.WriteFile(dir, "freezer.state", string(common.Frozen)); err != nil {
			return err
		}
		s, err := common.ReadFile(dir, "freezer.state")
		if err != nil {
			return err
		}
		if strings.TrimSpace(s) == string(common.Frozen) {
			return nil
		}
		if time.Now().After(deadline) {
			_ = common.WriteFile(dir, "freezer.state", string(common.Thawed))
			return fmt.Errorf("freeze %s: state %q after %s: %w", dir, strings.TrimSpace(s), m.freezeTimeout, common.ErrFreezeTimeout)
		}
		time.Sleep(sleep)
		sleep = min(sleep*2, 10*time.Millisecond)
	}
}

// FreezerState reports the freezer state; Undefined without a freezer
// hierarchy. A cgroup still FREEZING is waited for (up to the freeze
// timeout) so the answer is never a transient state.
func (m *Manager) FreezerState() (common.FreezerState, error) {
	dir, ok := m.paths["freezer"]
	if !ok {
		return common.Undefined, nil
	}
	deadline := time.Now().Add(m.freezeTimeout)
	for {
		s, err := common.ReadFile(dir, "freezer.state")
		if errors.Is(err, os.ErrNotExist) {
			return common.Undefined, fmt.Errorf("freezer state: %w: %w", common.ErrNotExist, err)
		}
		if err != nil {
			return common.Undefined, err
		}
		switch st := strings.TrimSpace(s); st {
		case string(common.Frozen):
			return common.Frozen, nil
		case string(common.Thawed):
			return common.Thawed, nil
		case "FREEZING":
			if time.Now().After(deadline) {
				return common.Undefined, fmt.Errorf("freezer state %s: still FREEZING after %s: %w", dir, m.freezeTimeout, common.ErrFreezeTimeout)
			}
			time.Sleep(time.Millisecond)
		default:
			return common.Undefined, fmt.Errorf("freezer state %s: unknown value %q", filepath.Join(dir, "freezer.state"), st)
		}
	}
}

// primary is the directory whose cgroup.procs lists the container's
// processes. Every hierarchy holds them all; prefer the ones a runtime is
// sure to have created.
func (m *Manager) primary() (string, error) {
	for _, c := range []string{"pids", "freezer", "devices", "memory", "cpu", "name=systemd"} {
		if d, ok := m.paths[c]; ok {
			return d, nil
		}
	}
	if len(m.dirs) > 0 {
		return m.dirs[0].path, nil
	}
	return "", fmt.Errorf("no cgroup v1 hierarchy: %w", common.ErrNoCgroupFS)
}

// Pids lists the processes directly in the container's cgroup.
func (m *Manager) Pids() ([]int, error) {
	d, err := m.primary()
	if err != nil {
		return nil, err
	}
	return notExist(common.ReadPids(d))
}

// AllPids lists the processes in the container's cgroup and its sub-cgroups.
func (m *Manager) AllPids() ([]int, error) {
	d, err := m.primary()
	if err != nil {
		return nil, err
	}
	return notExist(common.ReadAllPids(d))
}

func notExist(pids []int, err error) ([]int, error) {
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", common.ErrNotExist, err)
	}
	return pids, err
}

// Kill sends sig to every process in the cgroup tree. With a freezer the
// tree is frozen first so no process can fork a child that escapes the
// signal, then thawed so the signal is delivered; a frozen (paused) tree
// stays frozen (see common.SignalFrozen).
func (m *Manager) Kill(sig unix.Signal) error {
	return common.SignalFrozen(m, sig, func(err error) {
		m.log.Warn("cgroup v1: kill: freeze failed, signalling unfrozen", slog.Any("error", err))
	})
}

// Destroy removes the container's cgroup, and every cgroup below it, in
// every hierarchy. Directories already gone are fine. It does not kill
// processes: a cgroup that still holds tasks fails with EBUSY after a short
// retry (call Kill first). Parents created by Apply for an absolute path
// are left in place, as runc does.
func (m *Manager) Destroy() error {
	dirs := make([]string, 0, len(m.dirs))
	for _, d := range m.dirs {
		m.log.Debug("cgroup v1: remove", slog.String("dir", d.path))
		dirs = append(dirs, d.path)
	}
	return m.host.RemovePaths(dirs)
}

// Paths maps each controller (and named hierarchy, e.g. "name=systemd") to
// the container's directory in it. The map is a copy.
func (m *Manager) Paths() map[string]string {
	out := make(map[string]string, len(m.paths))
	for k, v := range m.paths {
		out[k] = v
	}
	return out
}

// Path returns the directory for one controller, "" if not mounted.
func (m *Manager) Path(controller string) string { return m.paths[controller] }

// Exists reports whether the container's cgroup exists (in the hierarchy
// used for Pids).
func (m *Manager) Exists() bool {
	d, err := m.primary()
	return err == nil && common.Exists(d)
}

// OOMKillCount returns how many processes the OOM killer killed in the
// cgroup (memory.oom_control "oom_kill", kernel 4.13+).
func (m *Manager) OOMKillCount() (uint64, error) {
	dir, ok := m.paths["memory"]
	if !ok {
		return 0, fmt.Errorf("oom kill count: memory hierarchy not mounted: %w", common.ErrControllerUnavailable)
	}
	s, err := common.ReadFile(dir, "memory.oom_control")
	if err != nil {
		return 0, fmt.Errorf("oom kill count: %w", err)
	}
	kv, err := common.ParseFlatKeyed([]byte(s))
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", filepath.Join(dir, "memory.oom_control"), err)
	}
	return kv["oom_kill"], nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
