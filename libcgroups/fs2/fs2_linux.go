// Package fs2 manages a cgroup v2 (unified) cgroup through cgroupfs, on a
// unified host or in the cgroup2 tree of a hybrid host.
package fs2

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups/common"
)

// DefaultFreezeTimeout is common.DefaultFreezeTimeout.
const DefaultFreezeTimeout = common.DefaultFreezeTimeout

// Options configure a v2 Manager.
type Options struct {
	Host common.Host
	// Setup is common.Unified (cgroup2 at the root) or common.Hybrid
	// (cgroup2 at <root>/unified).
	Setup common.Setup
	// Path is the container's cgroup path, already checked with
	// common.CleanPath: absolute (from the cgroup2 root) or relative (from
	// the caller's own cgroup, the "0::" line of /proc/self/cgroup).
	Path string
	// Resources, if set, name the controllers Apply enables down the path
	// (see common.V2Controllers). Set enables what its own argument needs.
	Resources     *specs.LinuxResources
	Logger        *slog.Logger
	FreezeTimeout time.Duration
}

// Manager is a cgroup v2 manager for one cgroup directory.
type Manager struct {
	host          common.Host
	log           *slog.Logger
	freezeTimeout time.Duration
	mount         string // cgroup2 mountpoint
	dir           string // the container's cgroup
	resources     *specs.LinuxResources
}

// New computes the container's cgroup directory. It touches nothing; Apply
// creates it.
func New(opts Options) (*Manager, error) {
	m := newManager(opts)
	own, mountRoot := "", "/"
	if !filepath.IsAbs(opts.Path) {
		cg, err := m.host.OwnCgroups()
		if err != nil {
			return nil, err
		}
		own = cg[common.UnifiedKey]
		// In a cgroup namespace both the mount root and /proc/self/cgroup
		// are relative to the namespace root; with a bind-mounted
		// sub-cgroup the mount root must be stripped from our own path.
		mountRoot = m.host.Cgroup2MountRoot(m.mount)
	}
	dir, err := common.JoinCgroupDir(m.mount, mountRoot, own, opts.Path)
	if err != nil {
		return nil, fmt.Errorf("cgroup v2: %w", err)
	}
	m.dir = dir
	return m, nil
}

// Load rebuilds a manager for a directory an earlier manager reported
// (Paths()[""], saved in state.json).
func Load(opts Options, dir string) (*Manager, error) {
	m := newManager(opts)
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("load cgroup v2 path %q: not absolute: %w", dir, common.ErrInvalidPath)
	}
	dir = filepath.Clean(dir)
	if dir == m.mount || !strings.HasPrefix(dir, m.mount+"/") {
		return nil, fmt.Errorf("load cgroup v2 path %q: not below %s: %w", dir, m.mount, common.ErrInvalidPath)
	}
	m.dir = dir
	return m, nil
}

func newManager(opts Options) *Manager {
	m := &Manager{
		host:          opts.Host.WithDefaults(),
		log:           opts.Logger,
		freezeTimeout: opts.FreezeTimeout,
		resources:     opts.Resources,
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.freezeTimeout <= 0 {
		m.freezeTimeout = DefaultFreezeTimeout
	}
	setup := opts.Setup
	if setup != common.Hybrid {
		setup = common.Unified
	}
	m.mount = m.host.UnifiedMountpoint(setup)
	return m
}

// Dir is the container's cgroup directory.
func (m *Manager) Dir() string { return m.dir }

// Apply creates the cgroup (each missing level with mode 0755), enables the
// controllers the configured resources need in every ancestor, and, unless
// pid is -1, moves pid into it.
func (m *Manager) Apply(pid int) error {
	rel, err := filepath.Rel(m.mount, m.dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("create cgroup %s: not below %s: %w", m.dir, m.mount, common.ErrInvalidPath)
	}
	// Each level is created only after its parent has the needed
	// controllers enabled, so the new cgroup is born with their files.
	ctrls := common.V2Controllers(m.resources)
	cur := m.mount
	for _, elem := range strings.Split(rel, "/") {
		m.enableIn(cur, ctrls)
		cur = filepath.Join(cur, elem)
		if err := m.host.Mkdir(cur, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create cgroup: %w", err)
		}
		m.log.Debug("cgroup v2: create", slog.String("dir", cur))
	}
	if pid == -1 {
		return nil
	}
	m.log.Debug("cgroup v2: add pid", slog.Int("pid", pid), slog.String("dir", m.dir))
	if err := common.AddPid(m.dir, pid); err != nil {
		return fmt.Errorf("add pid %d to cgroup: %w", pid, err)
	}
	return nil
}

// EnableControllers makes the named controllers available in the
// container's cgroup by writing "+ctrl" to cgroup.subtree_control of every
// ancestor, from the mountpoint down to the parent. The container's own
// subtree_control is never written: cgroup v2's "no internal processes"
// rule (Documentation/admin-guide/cgroup-v2.rst) forbids enabling
// controllers for the children of a non-root cgroup that has processes
// (EBUSY), and the container's cgroup is where its processes live.
//
// It is best effort and only logs: an ancestor may itself hold processes
// (a relative cgroupsPath under the caller's own, populated cgroup) or be
// read-only to us (rootless, nested). Controllers that end up missing make
// the later write to their files fail with a clear ErrControllerUnavailable.
func (m *Manager) EnableControllers(ctrls []string) {
	if len(ctrls) == 0 {
		return
	}
	rel, err := filepath.Rel(m.mount, filepath.Dir(m.dir))
	if err != nil || strings.HasPrefix(rel, "..") {
		return
	}
	levels := []string{m.mount}
	if rel != "." {
		cur := m.mount
		for _, elem := range strings.Split(rel, "/") {
			cur = filepath.Join(cur, elem)
			levels = append(levels, cur)
		}
	}
	for _, dir := range levels {
		m.enableIn(dir, ctrls)
	}
}

// enableIn enables ctrls in dir's cgroup.subtree_control, those of them that
// dir's cgroup.controllers offers and that are not enabled yet.
func (m *Manager) enableIn(dir string, ctrls []string) {
	if len(ctrls) == 0 {
		return
	}
	avail, err := common.ReadFile(dir, "cgroup.controllers")
	if err != nil {
		m.log.Warn("cgroup v2: cannot read available controllers", slog.Any("error", err))
		return
	}
	enabled, err := common.ReadFile(dir, "cgroup.subtree_control")
	if err != nil {
		m.log.Warn("cgroup v2: cannot read enabled controllers", slog.Any("error", err))
		return
	}
	var missing []string
	for _, c := range ctrls {
		if !slices.Contains(strings.Fields(avail), c) {
			m.log.Debug("cgroup v2: controller not available", slog.String("controller", c), slog.String("dir", dir))
			continue
		}
		if !slices.Contains(strings.Fields(enabled), c) {
			missing = append(missing, "+"+c)
		}
	}
	if len(missing) == 0 {
		return
	}
	// One write enables them all; if the kernel refuses one, the whole
	// write fails, so retry one by one to get the others.
	m.log.Debug("cgroup v2: enable controllers", slog.Any("controllers", missing), slog.String("dir", dir))
	if err := common.WriteFile(dir, "cgroup.subtree_control", strings.Join(missing, " ")); err == nil {
		return
	}
	for _, c := range missing {
		if err := common.WriteFile(dir, "cgroup.subtree_control", c); err != nil {
			if errors.Is(err, unix.EBUSY) {
				m.log.Warn("cgroup v2: cannot enable controller: the cgroup has processes of its own (no internal processes rule)",
					slog.String("controller", c), slog.Any("error", err))
			} else {
				m.log.Warn("cgroup v2: cannot enable controller", slog.String("controller", c), slog.Any("error", err))
			}
		}
	}
}

// AddTask moves pid into the existing cgroup (exec). The cgroup must exist:
// otherwise the error wraps common.ErrNotExist.
func (m *Manager) AddTask(pid int) error {
	if !common.Exists(m.dir) {
		return fmt.Errorf("add pid %d: %s: %w", pid, m.dir, common.ErrNotExist)
	}
	m.log.Debug("cgroup v2: add pid", slog.Int("pid", pid), slog.String("dir", m.dir))
	if err := common.AddPid(m.dir, pid); err != nil {
		return fmt.Errorf("add pid %d to cgroup: %w", pid, err)
	}
	return nil
}

// Freeze freezes or thaws the cgroup by writing cgroup.freeze, then waits
// until cgroup.events reports "frozen 1" (or "frozen 0" for a thaw): the
// write only starts the transition (kernel 5.2+). A freeze that does not
// complete in time is undone and reported as ErrFreezeTimeout.
func (m *Manager) Freeze(state common.FreezerState) error {
	var want string
	switch state {
	case common.Frozen:
		want = "1"
	case common.Thawed:
		want = "0"
	default:
		return fmt.Errorf("freeze %s: invalid freezer state %q", m.dir, state)
	}
	m.log.Debug("cgroup v2: freeze", slog.String("dir", m.dir), slog.String("value", want))
	if err := common.WriteFile(m.dir, "cgroup.freeze", want); err != nil {
		if errors.Is(err, os.ErrNotExist) && common.Exists(m.dir) {
			return fmt.Errorf("freeze: cgroup.freeze missing (kernel older than 5.2): %w: %w", common.ErrControllerUnavailable, err)
		}
		return fmt.Errorf("freeze: %w", err)
	}
	if err := m.waitFrozen(want); err != nil {
		if state == common.Frozen {
			_ = common.WriteFile(m.dir, "cgroup.freeze", "0")
		}
		return err
	}
	return nil
}

func (m *Manager) waitFrozen(want string) error {
	deadline := time.Now().Add(m.freezeTimeout)
	sleep := 100 * time.Microsecond
	for {
		s, err := common.ReadFile(m.dir, "cgroup.events")
		if err != nil {
			return fmt.Errorf("freeze: %w", err)
		}
		kv, err := common.ParseFlatKeyed([]byte(s))
		if err != nil {
			return fmt.Errorf("parse %s: %w", filepath.Join(m.dir, "cgroup.events"), err)
		}
		if fmt.Sprint(kv["frozen"]) == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("freeze %s: cgroup.events still says frozen %d after %s: %w", m.dir, kv["frozen"], m.freezeTimeout, common.ErrFreezeTimeout)
		}
		time.Sleep(sleep)
		sleep = min(sleep*2, 10*time.Millisecond)
	}
}

// FreezerState reports the freezer state. A cgroup asked to freeze
// (cgroup.freeze 1) is waited for until the kernel reports it frozen.
// Undefined without cgroup.freeze (kernel older than 5.2).
func (m *Manager) FreezerState() (common.FreezerState, error) {
	s, err := common.ReadFile(m.dir, "cgroup.freeze")
	if errors.Is(err, os.ErrNotExist) {
		if !common.Exists(m.dir) {
			return common.Undefined, fmt.Errorf("freezer state: %w: %w", common.ErrNotExist, err)
		}
		return common.Undefined, nil
	}
	if err != nil {
		return common.Undefined, err
	}
	switch strings.TrimSpace(s) {
	case "0":
		return common.Thawed, nil
	case "1":
		if err := m.waitFrozen("1"); err != nil {
			return common.Undefined, err
		}
		return common.Frozen, nil
	}
	return common.Undefined, fmt.Errorf("freezer state: unknown value %q in %s", strings.TrimSpace(s), filepath.Join(m.dir, "cgroup.freeze"))
}

// Pids lists the processes directly in the cgroup.
func (m *Manager) Pids() ([]int, error) { return notExist(common.ReadPids(m.dir)) }

// AllPids lists the processes in the cgroup and its sub-cgroups.
func (m *Manager) AllPids() ([]int, error) { return notExist(common.ReadAllPids(m.dir)) }

func notExist(pids []int, err error) ([]int, error) {
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", common.ErrNotExist, err)
	}
	return pids, err
}

// Kill sends sig to every process in the cgroup tree. SIGKILL uses
// cgroup.kill (kernel 5.14+), which kills the whole tree atomically;
// otherwise the tree is frozen, each process signalled, and thawed, so no
// process can fork a child that escapes the signal.
func (m *Manager) Kill(sig unix.Signal) error {
	if sig == unix.SIGKILL {
		err := common.WriteFile(m.dir, "cgroup.kill", "1")
		if err == nil {
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) || !common.Exists(m.dir) {
			return fmt.Errorf("kill: %w", err)
		}
	}
	return common.SignalFrozen(m, sig, func(err error) {
		m.log.Warn("cgroup v2: kill: freeze failed, signalling unfrozen", slog.Any("error", err))
	})
}

// Destroy removes the cgroup and every cgroup below it. A directory that is
// already gone is fine. It does not kill processes (call Kill first).
func (m *Manager) Destroy() error {
	m.log.Debug("cgroup v2: remove", slog.String("dir", m.dir))
	return m.host.RemovePath(m.dir)
}

// Paths returns {"": dir}, the form runc saves in state.json.
func (m *Manager) Paths() map[string]string { return map[string]string{common.UnifiedKey: m.dir} }

// Exists reports whether the cgroup directory exists.
func (m *Manager) Exists() bool { return common.Exists(m.dir) }

// OOMKillCount returns memory.events "oom_kill".
func (m *Manager) OOMKillCount() (uint64, error) {
	s, err := common.ReadFile(m.dir, "memory.events")
	if err != nil {
		return 0, fmt.Errorf("oom kill count: %w", err)
	}
	kv, err := common.ParseFlatKeyed([]byte(s))
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", filepath.Join(m.dir, "memory.events"), err)
	}
	return kv["oom_kill"], nil
}
