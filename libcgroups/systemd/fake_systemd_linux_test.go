package systemd_test

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/systemd"
)

// privateBus runs a dbus-daemon of its own (the session configuration, on
// a socket in a temporary directory) for the duration of the test and
// returns its address.
func privateBus(t *testing.T) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon not installed (hack/setup.sh installs the dbus package): the fake systemd needs a private bus")
	}
	dir, err := os.MkdirTemp("", "gc-systemd-bus-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	addr := "unix:path=" + filepath.Join(dir, "bus")
	cmd := exec.Command(daemon, "--session", "--nofork", "--nopidfile", "--address="+addr, "--print-address=1")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// The daemon prints its address once it listens.
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		require.True(t, strings.HasPrefix(s, "unix:"), "dbus-daemon printed %q", s)
	case <-time.After(20 * time.Second):
		t.Fatalf("dbus-daemon did not print its address within 20s: %s", stderr.String())
	}
	return addr
}

// fakeUnit is a unit of the fake systemd.
type fakeUnit struct {
	name  string
	state string
	props map[string]dbus.Variant
	dir   string
}

// fakeSystemd is org.freedesktop.systemd1 as far as the driver uses it:
// StartTransientUnit, StopUnit, SetUnitProperties, ResetFailedUnit, the
// JobRemoved signal and the Version, ControlGroup and ActiveState
// properties. Started units get a cgroup directory under cgroupRoot made
// with mkdir (a fake cgroup tree's, which adds the control files).
type fakeSystemd struct {
	t          *testing.T
	conn       *dbus.Conn
	cgroupRoot string
	mkdir      func(string, os.FileMode) error
	rmdir      func(string) error
	managerCG  string
	// controllers systemd enables for the unit (Delegate=yes).
	controllers []string

	mu    sync.Mutex
	units map[string]*fakeUnit
	calls []string
	jobs  uint32
	// knobs
	jobResult  string          // result of start jobs; "" is "done"
	refuse     map[string]bool // property names answered with InvalidArgs
	noJobEnd   bool            // never send JobRemoved
	signalEarl bool            // send JobRemoved before the reply
}

func startFakeSystemd(t *testing.T, addr, cgroupRoot string, mkdir func(string, os.FileMode) error, rmdir func(string) error) *fakeSystemd {
	t.Helper()
	conn, err := dbus.Connect(addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	f := &fakeSystemd{t: t, conn: conn, cgroupRoot: cgroupRoot, mkdir: mkdir, rmdir: rmdir, managerCG: "/", controllers: []string{"cpu", "cpuset", "io", "memory", "pids"}, units: map[string]*fakeUnit{}, refuse: map[string]bool{}}
	require.NoError(t, conn.Export(f, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager"))
	require.NoError(t, conn.ExportSubtree(fakeProps{f}, "/org/freedesktop/systemd1", "org.freedesktop.DBus.Properties"))
	reply, err := conn.RequestName("org.freedesktop.systemd1", dbus.NameFlagDoNotQueue)
	require.NoError(t, err)
	require.Equal(t, dbus.RequestNameReplyPrimaryOwner, reply)
	return f
}

// with changes the fake's knobs under its lock (its methods run on the
// connection's goroutines).
func (f *fakeSystemd) with(change func(f *fakeSystemd)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeSystemd) log(format string, a ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, a...))
}

func (f *fakeSystemd) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// unit returns a copy of the unit as it is now (nil if there is none).
func (f *fakeSystemd) unit(name string) *fakeUnit {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.units[name]
	if !ok {
		return nil
	}
	c := *u
	c.props = maps.Clone(u.props)
	return &c
}

func (f *fakeSystemd) job(unit, result string) dbus.ObjectPath {
	f.jobs++
	id := f.jobs
	path := dbus.ObjectPath(fmt.Sprintf("/org/freedesktop/systemd1/job/%d", id))
	if f.noJobEnd {
		return path
	}
	emit := func() {
		_ = f.conn.Emit("/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager.JobRemoved", id, path, unit, result)
	}
	if f.signalEarl {
		emit()
	} else {
		go func() {
			time.Sleep(5 * time.Millisecond)
			emit()
		}()
	}
	return path
}

type property struct {
	Name  string
	Value dbus.Variant
}

func (f *fakeSystemd) refused(props []property) *dbus.Error {
	for _, p := range props {
		if f.refuse[p.Name] {
			return dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{"Cannot set property " + p.Name + ", or unknown property."})
		}
	}
	return nil
}

func (f *fakeSystemd) StartTransientUnit(name, mode string, props []property, aux []struct {
	Name  string
	Props []property
}) (dbus.ObjectPath, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("StartTransientUnit %s %s", name, mode)
	if u, ok := f.units[name]; ok && u.state != "failed" {
		return "", dbus.NewError("org.freedesktop.systemd1.UnitExists", []any{"Unit " + name + " already exists."})
	}
	if err := f.refused(props); err != nil {
		return "", err
	}
	u := &fakeUnit{name: name, state: "active", props: map[string]dbus.Variant{}}
	for _, p := range props {
		u.props[p.Name] = p.Value
	}
	slice, _ := u.props["Slice"].Value().(string)
	rel, err := systemd.Unit{Slice: slice, Name: name}.CgroupPath()
	if err != nil {
		return "", dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{err.Error()})
	}
	u.dir = filepath.Join(f.cgroupRoot, f.managerCG, rel)
	// Each missing level, as systemd realizes the slices and the scope.
	cur := f.cgroupRoot
	for _, el := range strings.Split(strings.TrimPrefix(filepath.Join(f.managerCG, rel), "/"), "/") {
		// Delegate=yes and accounting: systemd enables the controllers
		// down to the unit.
		if err := os.WriteFile(filepath.Join(cur, "cgroup.subtree_control"), []byte(strings.Join(f.controllers, " ")), 0); err != nil {
			return "", dbus.NewError("org.freedesktop.DBus.Error.Failed", []any{err.Error()})
		}
		cur = filepath.Join(cur, el)
		if _, err := os.Stat(cur); err == nil {
			continue
		}
		if err := f.mkdir(cur, 0o755); err != nil {
			return "", dbus.NewError("org.freedesktop.DBus.Error.Failed", []any{err.Error()})
		}
	}
	// The control files the kernel gives a cgroup with these controllers
	// (fakecg makes only the core and pids ones).
	for file, v := range map[string]string{
		"memory.max": "max", "memory.high": "max", "memory.low": "0", "memory.min": "0", "memory.swap.max": "max",
		"cpu.max": "max 100000", "cpu.weight": "100", "cpuset.cpus": "", "cpuset.mems": "", "io.weight": "default 100", "io.max": "",
	} {
		if err := os.WriteFile(filepath.Join(u.dir, file), []byte(v+"\n"), 0o644); err != nil {
			return "", dbus.NewError("org.freedesktop.DBus.Error.Failed", []any{err.Error()})
		}
	}
	if pids, ok := u.props["PIDs"].Value().([]uint32); ok {
		for _, p := range pids {
			if err := os.WriteFile(filepath.Join(u.dir, "cgroup.procs"), []byte(fmt.Sprint(p)), 0); err != nil {
				return "", dbus.NewError("org.freedesktop.DBus.Error.Failed", []any{err.Error()})
			}
		}
	}
	f.units[name] = u
	result := f.jobResult
	if result == "" {
		result = "done"
	}
	if result != "done" {
		u.state = "failed"
	}
	return f.job(name, result), nil
}

func (f *fakeSystemd) StopUnit(name, mode string) (dbus.ObjectPath, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("StopUnit %s %s", name, mode)
	u, ok := f.units[name]
	if !ok {
		return "", dbus.NewError("org.freedesktop.systemd1.NoSuchUnit", []any{"Unit " + name + " not loaded."})
	}
	if u.dir != "" {
		// systemd kills what is left in the scope before removing it.
		_ = os.WriteFile(filepath.Join(u.dir, "cgroup.procs"), nil, 0)
		if err := f.rmdir(u.dir); err != nil {
			return "", dbus.NewError("org.freedesktop.DBus.Error.Failed", []any{err.Error()})
		}
	}
	delete(f.units, name)
	return f.job(name, "done"), nil
}

func (f *fakeSystemd) SetUnitProperties(name string, runtime bool, props []property) *dbus.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	names := make([]string, len(props))
	for i, p := range props {
		names[i] = p.Name
	}
	f.log("SetUnitProperties %s %v %s", name, runtime, strings.Join(names, ","))
	u, ok := f.units[name]
	if !ok {
		return dbus.NewError("org.freedesktop.systemd1.NoSuchUnit", []any{"Unit " + name + " not loaded."})
	}
	if err := f.refused(props); err != nil {
		return err
	}
	for _, p := range props {
		u.props[p.Name] = p.Value
	}
	return nil
}

func (f *fakeSystemd) ResetFailedUnit(name string) *dbus.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("ResetFailedUnit %s", name)
	if u, ok := f.units[name]; ok && u.state == "failed" {
		delete(f.units, name)
	}
	return nil
}

// fakeProps answers org.freedesktop.DBus.Properties.Get for the manager
// and for units (by their escaped object path).
type fakeProps struct{ f *fakeSystemd }

func (p fakeProps) Get(msg dbus.Message, ifc, name string) (dbus.Variant, *dbus.Error) {
	f := p.f
	f.mu.Lock()
	defer f.mu.Unlock()
	path, _ := msg.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
	if path == "/org/freedesktop/systemd1" && ifc == "org.freedesktop.systemd1.Manager" {
		switch name {
		case "Version":
			return dbus.MakeVariant("252.33-1~deb12u1"), nil
		case "ControlGroup":
			return dbus.MakeVariant(f.managerCG), nil
		}
	}
	for _, u := range f.units {
		if systemd.UnitPath(u.name) == path && name == "ActiveState" {
			return dbus.MakeVariant(u.state), nil
		}
	}
	return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.UnknownProperty", []any{fmt.Sprintf("no property %s.%s on %s", ifc, name, path)})
}
