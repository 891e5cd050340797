package systemd

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups/common"
)

// DefaultTimeout bounds each D-Bus call and each awaited job.
const DefaultTimeout = 30 * time.Second

// FS is the cgroupfs manager of the unit's cgroup (the fs2, fs or hybrid
// manager for the path CgroupPath returns): the systemd Manager hands it
// everything that does not go through systemd.
type FS interface {
	Apply(pid int) error
	AddTask(pid int) error
	Set(r *specs.LinuxResources) error
	Freeze(state common.FreezerState) error
	FreezerState() (common.FreezerState, error)
	Pids() ([]int, error)
	AllPids() ([]int, error)
	Kill(sig unix.Signal) error
	Destroy() error
	Paths() map[string]string
	Exists() bool
	OOMKillCount() (uint64, error)
	Stats() (*common.Stats, error)
}

// Options configure a Manager.
type Options struct {
	// Path is linux.cgroupsPath ("slice:prefix:name" or empty) and ID the
	// container id (see ParsePath).
	Path, ID string
	// User selects the calling user's systemd instance (rootless):
	// default slice user.slice, under the user manager's cgroup.
	User bool
	// V1 says the host has cgroup v1 controllers (legacy or hybrid):
	// resources then use systemd's legacy property names.
	V1 bool
	// Bus is a D-Bus address to use instead of the default ones (tests).
	Bus string
	// Timeout bounds each call and job; 0 means DefaultTimeout.
	Timeout time.Duration
	// ProcDevices reads /proc/devices (tests); nil reads the real one.
	ProcDevices func() ([]byte, error)
	Logger      *slog.Logger
}

// Manager is a container's cgroup as a systemd transient unit. Methods it
// does not define are the FS manager's, on the unit's cgroup.
type Manager struct {
	FS
	opts Options
	unit Unit
	// cgroupPath is the unit's cgroup from the hierarchy root.
	cgroupPath string
	log        *slog.Logger

	mu  sync.Mutex
	bus *bus // connected on first need (Load connects lazily)
	// owned says the unit is this container's: started by Apply (a
	// start job was queued, whatever its result), or loaded from state.
	// A create that failed on a unit of the same name must not stop it.
	owned bool
}

// New parses the path, connects to systemd (the error wraps ErrNoBus when
// none answers) and computes the unit's cgroup. It creates nothing; Apply
// starts the unit. newFS builds the cgroupfs manager for the unit's cgroup
// path (from each hierarchy's root).
func New(opts Options, newFS func(cgroupPath string) (FS, error)) (*Manager, error) {
	m, err := newManager(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := m.ctx()
	defer cancel()
	b, err := m.connect(ctx)
	if err != nil {
		return nil, err
	}
	root, err := b.controlGroup(ctx)
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("systemd: %w", err)
	}
	rel, err := m.unit.CgroupPath()
	if err != nil {
		m.Close()
		return nil, err
	}
	m.cgroupPath = path.Join(root, rel)
	if m.FS, err = newFS(m.cgroupPath); err != nil {
		m.Close()
		return nil, err
	}
	m.log.Debug("systemd: unit", slog.String("unit", m.unit.Name), slog.String("slice", m.unit.Slice), slog.String("cgroup", m.cgroupPath), slog.String("bus", b.addr))
	return m, nil
}

// Load rebuilds the manager of an existing container on its cgroupfs
// manager fs (from the saved paths). It does not connect: pause, state,
// ps and stats need no D-Bus; Set and Destroy connect when called.
func Load(opts Options, fs FS) (*Manager, error) {
	m, err := newManager(opts)
	if err != nil {
		return nil, err
	}
	m.FS = fs
	m.owned = true
	return m, nil
}

func newManager(opts Options) (*Manager, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	def := "system.slice"
	if opts.User {
		def = "user.slice"
	}
	u, err := ParsePath(opts.Path, opts.ID, def)
	if err != nil {
		return nil, err
	}
	return &Manager{opts: opts, unit: u, log: opts.Logger}, nil
}

// Unit is the container's unit.
func (m *Manager) Unit() Unit { return m.unit }

// CgroupPath is the unit's cgroup from the hierarchy root ("" on a loaded
// manager).
func (m *Manager) CgroupPath() string { return m.cgroupPath }

// Close drops the D-Bus connection, if any.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bus != nil {
		m.bus.close()
		m.bus = nil
	}
}

func (m *Manager) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), m.opts.Timeout)
}

func (m *Manager) connect(ctx context.Context) (*bus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bus != nil {
		return m.bus, nil
	}
	instance := "system"
	if m.opts.User {
		instance = "user"
	}
	b, err := connect(ctx, endpoints(m.opts.User, m.opts.Bus), m.log)
	if err != nil {
		return nil, fmt.Errorf("systemd cgroup driver: %s instance: %w", instance, err)
	}
	m.bus = b
	return b, nil
}

// baseProperties are the unit's own settings, runc's set: a scope in the
// slice with the init pid, delegated, with accounting on so systemd
// enables the controllers, and collected when it ends however it ends.
func (m *Manager) baseProperties(pid int) []Property {
	u := m.unit
	props := []Property{prop("Description", "gocontainer container "+m.opts.ID)}
	if u.IsSlice() {
		props = append(props, prop("Wants", []string{u.Slice}))
	} else {
		props = append(props, prop("Slice", u.Slice), prop("Delegate", true))
		if pid != -1 {
			props = append(props, prop("PIDs", []uint32{uint32(pid)}))
		}
	}
	props = append(props,
		prop("DefaultDependencies", false),
		prop("CollectMode", "inactive-or-failed"),
		prop("MemoryAccounting", true), prop("CPUAccounting", true), prop("TasksAccounting", true))
	if m.opts.V1 {
		props = append(props, prop("BlockIOAccounting", true))
	} else {
		props = append(props, prop("IOAccounting", true))
	}
	return props
}

// Apply starts the transient unit with pid in it and waits for systemd to
// report the start job done. A unit of the same name that is still active
// is an error wrapping ErrUnitExists; a failed or inactive leftover is
// reset and the start retried once. Then the cgroupfs manager joins pid to
// the hierarchies systemd does not manage (v1) or, for a slice unit, to
// the slice's cgroup.
func (m *Manager) Apply(pid int) error {
	ctx, cancel := m.ctx()
	defer cancel()
	b, err := m.connect(ctx)
	if err != nil {
		return err
	}
	name := m.unit.Name
	props := m.baseProperties(pid)
	m.log.Debug("systemd: start transient unit", slog.String("unit", name), slog.String("properties", propNames(props)))
	start := func() error {
		return b.job(ctx, "StartTransientUnit", name, func() { m.owned = true }, name, "replace", props, []struct {
			Name  string
			Props []Property
		}{})
	}
	err = start()
	if err != nil && dbusErrName(err) == "org.freedesktop.systemd1.UnitExists" {
		st, serr := b.activeState(ctx, name)
		if serr == nil && (st == "failed" || st == "inactive") {
			m.log.Debug("systemd: reset a stale unit", slog.String("unit", name), slog.String("state", st))
			if rerr := b.mgr.CallWithContext(ctx, managerIfc+".ResetFailedUnit", dbus.FlagNoAutoStart, name).Err; rerr != nil {
				m.log.Debug("systemd: reset-failed", slog.String("unit", name), slog.Any("error", rerr))
			}
			err = start()
		}
		if err != nil && dbusErrName(err) == "org.freedesktop.systemd1.UnitExists" {
			if st == "" {
				st = "unknown"
			}
			return fmt.Errorf("linux.cgroupsPath: unit %s already exists (state %s): %w", name, st, ErrUnitExists)
		}
	}
	if err != nil {
		return m.explain("start unit "+name, err)
	}
	if err := m.FS.Apply(pid); err != nil {
		return fmt.Errorf("unit %s: %w", name, err)
	}
	return nil
}

// explain makes a D-Bus error one line naming what systemd refused.
func (m *Manager) explain(what string, err error) error {
	switch dbusErrName(err) {
	case "":
		return fmt.Errorf("systemd: %s: %w", what, err)
	case "org.freedesktop.DBus.Error.InvalidArgs", "org.freedesktop.DBus.Error.PropertyReadOnly",
		"org.freedesktop.DBus.Error.UnknownProperty", "org.freedesktop.systemd1.NoSuchUnit":
		return fmt.Errorf("systemd: %s: %w: %w", what, ErrRefused, err)
	}
	return fmt.Errorf("systemd: %s: %s: %w", what, dbusErrName(err), err)
}

// Set records r as unit properties (SetUnitProperties, runtime) and then
// writes it to the cgroup directly. Conversion errors name the OCI field
// and come before anything is changed; a property systemd refuses fails
// naming it, before the direct writes.
func (m *Manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	props, err := Properties(r, m.opts.V1, m.opts.ProcDevices)
	if err != nil {
		return err
	}
	if c, ok := m.FS.(interface {
		Check(*specs.LinuxResources) error
	}); ok {
		if err := c.Check(r); err != nil {
			return err
		}
	}
	if len(props) > 0 {
		ctx, cancel := m.ctx()
		defer cancel()
		b, err := m.connect(ctx)
		if err != nil {
			return err
		}
		m.log.Debug("systemd: set unit properties", slog.String("unit", m.unit.Name), slog.String("properties", propNames(props)))
		if err := b.mgr.CallWithContext(ctx, managerIfc+".SetUnitProperties", dbus.FlagNoAutoStart, m.unit.Name, true, props).Err; err != nil {
			return m.explain(fmt.Sprintf("set properties of %s (%s)", m.unit.Name, propNames(props)), err)
		}
	}
	return m.FS.Set(r)
}

func propNames(ps []Property) string {
	n := make([]string, len(ps))
	for i, p := range ps {
		n[i] = p.String()
	}
	return strings.Join(n, " ")
}

// Destroy stops the unit and waits for the stop job, so systemd has
// removed the unit's cgroup; a unit already gone is fine. A failed unit is
// reset so nothing of it stays listed. The cgroupfs manager then removes
// whatever is left (v1 hierarchies systemd does not manage).
func (m *Manager) Destroy() error {
	if !m.owned {
		// Apply never started the unit: it is not ours (another
		// container's of the same name) or does not exist.
		m.log.Debug("systemd: destroy: unit not started by this manager, left alone", slog.String("unit", m.unit.Name))
		return nil
	}
	ctx, cancel := m.ctx()
	defer cancel()
	b, err := m.connect(ctx)
	if err != nil {
		return err
	}
	name := m.unit.Name
	m.log.Debug("systemd: stop unit", slog.String("unit", name))
	err = b.job(ctx, "StopUnit", name, nil, name, "replace")
	if err != nil && dbusErrName(err) != "org.freedesktop.systemd1.NoSuchUnit" {
		return m.explain("stop unit "+name, err)
	}
	if err := b.mgr.CallWithContext(ctx, managerIfc+".ResetFailedUnit", dbus.FlagNoAutoStart, name).Err; err != nil {
		m.log.Debug("systemd: reset-failed after stop", slog.String("unit", name), slog.Any("error", err))
	}
	if err := m.FS.Destroy(); err != nil {
		return fmt.Errorf("unit %s: %w", name, err)
	}
	return nil
}
