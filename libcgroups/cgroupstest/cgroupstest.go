// Package cgroupstest provides a fake libcgroups.Manager that records calls,
// for unit tests of code that drives cgroups (libcontainer) without a
// cgroup filesystem or root.
package cgroupstest

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups"
)

// Call is one recorded method call.
type Call struct {
	Method string                  // "Apply", "AddTask", "Set", "Freeze", "Kill", "Destroy", ...
	Pid    int                     // Apply, AddTask
	State  libcgroups.FreezerState // Freeze
	Signal unix.Signal             // Kill
	Res    *specs.LinuxResources   // Set
}

// Manager is a fake libcgroups.Manager. It behaves like a cgroup that
// exists after Apply and not after Destroy, holds the pids given to Apply
// and AddTask, and remembers its freezer state. Errors[method] makes that
// method fail with the given error (and record the call). Safe for
// concurrent use.
type Manager struct {
	mu        sync.Mutex
	calls     []Call
	exists    bool
	pids      []int
	state     libcgroups.FreezerState
	resources *specs.LinuxResources

	// CgroupPaths is returned by Paths.
	CgroupPaths map[string]string
	// OOMKills is returned by OOMKillCount, and as Memory.OOMKill by Stats.
	OOMKills uint64
	// Usage is what Stats returns (a shallow copy), with Pids filled from the
	// fake's processes and pids limit and Memory.OOMKill from OOMKills.
	Usage libcgroups.Stats
	// Errors makes a method return an error, by method name.
	Errors map[string]error
}

var _ libcgroups.Manager = (*Manager)(nil)

// New returns a fake whose Paths are {"": path}.
func New(path string) *Manager {
	return &Manager{CgroupPaths: map[string]string{"": path}, state: libcgroups.Thawed}
}

func (m *Manager) record(c Call) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, c)
	return m.Errors[c.Method]
}

// Calls returns the calls made so far, in order.
func (m *Manager) Calls() []Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// Methods returns the names of the calls made so far, in order.
func (m *Manager) Methods() []string {
	var out []string
	for _, c := range m.Calls() {
		out = append(out, c.Method)
	}
	return out
}

// Resources returns the last resources given to Set.
func (m *Manager) Resources() *specs.LinuxResources {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.resources
}

func (m *Manager) Apply(pid int) error {
	if err := m.record(Call{Method: "Apply", Pid: pid}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.exists = true
	if pid != -1 {
		m.pids = append(m.pids, pid)
	}
	return nil
}

func (m *Manager) AddTask(pid int) error {
	if err := m.record(Call{Method: "AddTask", Pid: pid}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.exists {
		return fmt.Errorf("add pid %d: %w", pid, libcgroups.ErrNotExist)
	}
	m.pids = append(m.pids, pid)
	return nil
}

func (m *Manager) Set(r *specs.LinuxResources) error {
	if err := m.record(Call{Method: "Set", Res: r}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r != nil {
		m.resources = r
	}
	return nil
}

func (m *Manager) Freeze(state libcgroups.FreezerState) error {
	if err := m.record(Call{Method: "Freeze", State: state}); err != nil {
		return err
	}
	if state != libcgroups.Frozen && state != libcgroups.Thawed {
		return fmt.Errorf("freeze: invalid freezer state %q", state)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state = state
	return nil
}

func (m *Manager) FreezerState() (libcgroups.FreezerState, error) {
	if err := m.record(Call{Method: "FreezerState"}); err != nil {
		return libcgroups.Undefined, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state, nil
}

func (m *Manager) Pids() ([]int, error) {
	if err := m.record(Call{Method: "Pids"}); err != nil {
		return nil, err
	}
	return m.pidList()
}

func (m *Manager) AllPids() ([]int, error) {
	if err := m.record(Call{Method: "AllPids"}); err != nil {
		return nil, err
	}
	return m.pidList()
}

func (m *Manager) pidList() ([]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.exists {
		return nil, libcgroups.ErrNotExist
	}
	return slices.Clone(m.pids), nil
}

// Kill records the signal; with SIGKILL the fake cgroup becomes empty.
// It never signals a real process.
func (m *Manager) Kill(sig unix.Signal) error {
	if err := m.record(Call{Method: "Kill", Signal: sig}); err != nil {
		return err
	}
	if sig == unix.SIGKILL {
		m.mu.Lock()
		m.pids = nil
		m.mu.Unlock()
	}
	return nil
}

func (m *Manager) Destroy() error {
	if err := m.record(Call{Method: "Destroy"}); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.exists = false
	m.pids = nil
	return nil
}

func (m *Manager) Paths() map[string]string {
	_ = m.record(Call{Method: "Paths"})
	return maps.Clone(m.CgroupPaths)
}

func (m *Manager) Exists() bool {
	_ = m.record(Call{Method: "Exists"})
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.exists
}

func (m *Manager) OOMKillCount() (uint64, error) {
	if err := m.record(Call{Method: "OOMKillCount"}); err != nil {
		return 0, err
	}
	return m.OOMKills, nil
}

func (m *Manager) Stats() (*libcgroups.Stats, error) {
	if err := m.record(Call{Method: "Stats"}); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.Usage
	st.Pids = libcgroups.PidsStats{Current: uint64(len(m.pids))}
	st.Memory.OOMKill = m.OOMKills
	if limit, ok := pidsLimit(m.resources); ok && limit > 0 {
		st.Pids.Limit = uint64(limit)
	}
	return &st, nil
}

func pidsLimit(r *specs.LinuxResources) (int64, bool) {
	if r == nil || r.Pids == nil || r.Pids.Limit == nil {
		return 0, false
	}
	return *r.Pids.Limit, true
}
