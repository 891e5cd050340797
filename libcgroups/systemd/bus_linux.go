package systemd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/godbus/dbus/v5"
)

// D-Bus names of systemd's manager.
const (
	busName     = "org.freedesktop.systemd1"
	managerPath = dbus.ObjectPath("/org/freedesktop/systemd1")
	managerIfc  = "org.freedesktop.systemd1.Manager"
	unitIfc     = "org.freedesktop.systemd1.Unit"
	propsGet    = "org.freedesktop.DBus.Properties.Get"
	jobRemoved  = managerIfc + ".JobRemoved"
)

// Errors callers branch on.
var (
	// ErrNoBus means no systemd answered on any bus address tried: the
	// host does not run systemd (or not for this user).
	ErrNoBus = errors.New("no systemd bus reachable")
	// ErrUnitExists means a unit of the container's name is already active.
	ErrUnitExists = errors.New("unit already exists")
	// ErrRefused means systemd refused a unit property or a job failed.
	ErrRefused = errors.New("refused by systemd")
)

// endpoint is one address to try: private ones are systemd's own
// peer-to-peer socket (no bus daemon: no Hello, no AddMatch, and systemd
// sends every signal on it).
type endpoint struct {
	addr    string
	private bool
}

// endpoints lists where systemd is looked for, in order: the private
// socket first (one hop less, and it works before dbus is up), then the
// bus.
func endpoints(user bool, override string) []endpoint {
	if override != "" {
		return []endpoint{{addr: override}}
	}
	if !user {
		sys := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS")
		if sys == "" {
			sys = "unix:path=/run/dbus/system_bus_socket"
		}
		return []endpoint{{addr: "unix:path=/run/systemd/private", private: true}, {addr: sys}}
	}
	var out []endpoint
	xdg := os.Getenv("XDG_RUNTIME_DIR")
	if xdg == "" {
		xdg = fmt.Sprintf("/run/user/%d", os.Geteuid())
	}
	out = append(out, endpoint{addr: "unix:path=" + filepath.Join(xdg, "systemd/private"), private: true})
	if s := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); s != "" {
		out = append(out, endpoint{addr: s})
	}
	return append(out, endpoint{addr: "unix:path=" + filepath.Join(xdg, "bus")})
}

// bus is a connection to one systemd instance.
type bus struct {
	conn    *dbus.Conn
	mgr     dbus.BusObject
	sigs    chan *dbus.Signal
	addr    string
	private bool
	log     *slog.Logger
}

// connect dials the endpoints in order and returns the first on which
// systemd answers. The error, wrapping ErrNoBus, lists what was tried.
func connect(ctx context.Context, eps []endpoint, log *slog.Logger) (*bus, error) {
	var tried []string
	for _, ep := range eps {
		b, err := dial(ctx, ep, log)
		if err == nil {
			return b, nil
		}
		log.Debug("systemd: bus not usable", slog.String("address", ep.addr), slog.Any("error", err))
		tried = append(tried, strings.TrimPrefix(ep.addr, "unix:path=")+": "+shortErr(err))
	}
	return nil, fmt.Errorf("%w (tried %s)", ErrNoBus, strings.Join(tried, "; "))
}

// shortErr keeps the innermost cause of a dial error ("connect: no such
// file or directory"), which is what tells the user why.
func shortErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err.Error()
	}
	return err.Error()
}

func dial(ctx context.Context, ep endpoint, log *slog.Logger) (*bus, error) {
	// No dbus.WithContext: it would close the connection when ctx ends;
	// ctx bounds each call instead.
	conn, err := dbus.Dial(ep.addr)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			conn.Close()
		}
	}()
	if err := conn.Auth(nil); err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if !ep.private {
		if err := conn.Hello(); err != nil {
			return nil, fmt.Errorf("hello: %w", err)
		}
	}
	b := &bus{conn: conn, mgr: conn.Object(busName, managerPath), sigs: make(chan *dbus.Signal, 16), addr: ep.addr, private: ep.private, log: log}
	// Subscribe to job completions before any job exists, so none is
	// missed; the queue keeps those that arrive before a call returns.
	conn.Signal(b.sigs)
	if !ep.private {
		if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchInterface(managerIfc), dbus.WithMatchMember("JobRemoved")); err != nil {
			return nil, fmt.Errorf("subscribe to JobRemoved: %w", err)
		}
	}
	// A bus without systemd on it answers ServiceUnknown here.
	if _, err := b.version(ctx); err != nil {
		return nil, err
	}
	log.Debug("systemd: connected", slog.String("address", ep.addr))
	ok = true
	return b, nil
}

func (b *bus) close() { b.conn.Close() }

// property reads one property of an object.
func (b *bus) property(ctx context.Context, obj dbus.BusObject, ifc, name string) (dbus.Variant, error) {
	var v dbus.Variant
	err := obj.CallWithContext(ctx, propsGet, dbus.FlagNoAutoStart, ifc, name).Store(&v)
	return v, err
}

func (b *bus) version(ctx context.Context) (string, error) {
	v, err := b.property(ctx, b.mgr, managerIfc, "Version")
	if err != nil {
		return "", err
	}
	s, _ := v.Value().(string)
	return s, nil
}

// controlGroup is the manager's own cgroup: "/" for the system instance,
// "/user.slice/user-1000.slice/user@1000.service" for a user's.
func (b *bus) controlGroup(ctx context.Context) (string, error) {
	v, err := b.property(ctx, b.mgr, managerIfc, "ControlGroup")
	if err != nil {
		return "", fmt.Errorf("read the manager's ControlGroup: %w", err)
	}
	s, _ := v.Value().(string)
	if s == "" {
		s = "/"
	}
	return s, nil
}

// activeState is a unit's ActiveState ("active", "failed", ...).
func (b *bus) activeState(ctx context.Context, unit string) (string, error) {
	v, err := b.property(ctx, b.conn.Object(busName, UnitPath(unit)), unitIfc, "ActiveState")
	if err != nil {
		return "", err
	}
	s, _ := v.Value().(string)
	return s, nil
}

// UnitPath is the D-Bus object path of a unit, escaped as systemd does
// (sd_bus_path_encode): every byte but [A-Za-z0-9] becomes _XX.
func UnitPath(unit string) dbus.ObjectPath {
	var sb strings.Builder
	sb.WriteString(string(managerPath) + "/unit/")
	for i := 0; i < len(unit); i++ {
		c := unit[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "_%02x", c)
		}
	}
	return dbus.ObjectPath(sb.String())
}

// job calls a manager method that queues a job (StartTransientUnit,
// StopUnit) and waits for its JobRemoved signal until ctx ends. A result
// other than "done" is an error wrapping ErrRefused. queued, if set, runs
// once systemd has accepted the job.
func (b *bus) job(ctx context.Context, method, unit string, queued func(), args ...any) error {
	var path dbus.ObjectPath
	if err := b.mgr.CallWithContext(ctx, managerIfc+"."+method, dbus.FlagNoAutoStart, args...).Store(&path); err != nil {
		return err
	}
	if queued != nil {
		queued()
	}
	b.log.Debug("systemd: job queued", slog.String("method", method), slog.String("unit", unit), slog.String("job", string(path)))
	for {
		select {
		case s, ok := <-b.sigs:
			if !ok {
				return fmt.Errorf("%s %s: connection to systemd closed while waiting for job %s", method, unit, path)
			}
			if s.Name != jobRemoved || len(s.Body) < 4 {
				continue
			}
			if p, _ := s.Body[1].(dbus.ObjectPath); p != path {
				continue
			}
			result, _ := s.Body[3].(string)
			b.log.Debug("systemd: job removed", slog.String("job", string(path)), slog.String("unit", unit), slog.String("result", result))
			if result != "done" {
				return fmt.Errorf("%s %s: job result %q: %w", method, unit, result, ErrRefused)
			}
			return nil
		case <-ctx.Done():
			return fmt.Errorf("%s %s: job %s not finished: %w", method, unit, path, ctx.Err())
		}
	}
}

// dbusErrName is the D-Bus error name of err, if it is a D-Bus error.
func dbusErrName(err error) string {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name
	}
	var dp *dbus.Error
	if errors.As(err, &dp) {
		return dp.Name
	}
	return ""
}
