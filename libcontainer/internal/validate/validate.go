package validate

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/gocontainer/gocontainer/libcontainer/internal/rlimits"
	"github.com/gocontainer/gocontainer/libcontainer/internal/sysctl"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrInvalidConfig is matched (errors.Is) by every [FieldError] and by
// every error of reading or decoding config.json.
var ErrInvalidConfig = errors.New("invalid config")

// FieldError is a problem with one field of the config.
type FieldError struct {
	// Field is the JSON path, e.g. "linux.namespaces[2].type".
	Field string
	Err   error
}

// Error returns "<field>: <problem>".
func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying problem.
func (e *FieldError) Unwrap() error { return e.Err }

// Is makes every FieldError match [ErrInvalidConfig].
func (e *FieldError) Is(target error) bool { return target == ErrInvalidConfig }

// configError is an error of reading or decoding config.json: its text
// as is, matching [ErrInvalidConfig].
type configError struct{ err error }

func (e *configError) Error() string          { return e.err.Error() }
func (e *configError) Unwrap() []error        { return []error{e.err, ErrInvalidConfig} }
func invalidConfig(err error) error           { return &configError{err} }
func invalidConfigf(f string, a ...any) error { return invalidConfig(fmt.Errorf(f, a...)) }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// ErrInvalidID is wrapped by every error of [ID].
var ErrInvalidID = errors.New("invalid container id")

// MaxIDLength is the longest container id accepted, in bytes.
const MaxIDLength = 1024

// validIDChars reports whether id uses only runc's id characters
// (`^[\w+\-.]+$`). A loop rather than a regexp: every command validates an
// id, and compiling a regexp at package init costs each process start.
func validIDChars(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_' || c == '+' || c == '-' || c == '.':
		default:
			return false
		}
	}
	return true
}

// ID checks a container id with runc's rules: not empty, at most
// [MaxIDLength] bytes, only ASCII letters, digits and "_+-.", and not "."
// or "..". The id names a directory under the state root, so anything
// else could escape it.
func ID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: must not be empty", ErrInvalidID)
	case len(id) > MaxIDLength:
		return fmt.Errorf("%w: %d bytes long, at most %d allowed", ErrInvalidID, len(id), MaxIDLength)
	case id == "." || id == "..":
		return fmt.Errorf("%w %q: reserved name", ErrInvalidID, id)
	case !validIDChars(id):
		return fmt.Errorf("%w %q: only letters, digits and _ + - . are allowed", ErrInvalidID, id)
	}
	return nil
}

// Option changes what [Spec] accepts.
type Option func(*options)

type options struct {
	log             *slog.Logger
	systemdCgroup   bool
	processOptional bool
	hostNetNS       string
}

// WithLogger makes Spec log warnings (deprecated but accepted settings)
// to log.
func WithLogger(log *slog.Logger) Option { return func(o *options) { o.log = log } }

// WithSystemdCgroup makes Spec check linux.cgroupsPath in the systemd
// form "slice:prefix:name", as for --systemd-cgroup.
func WithSystemdCgroup(on bool) Option { return func(o *options) { o.systemdCgroup = on } }

// WithoutProcess lets process be absent (runtime-spec requires it only
// when start is called; a config validated for other uses may omit it).
func WithoutProcess() Option { return func(o *options) { o.processOptional = true } }

// withHostNetNS overrides /proc/self/ns/net for tests.
func withHostNetNS(p string) Option { return func(o *options) { o.hostNetNS = p } }

// Spec checks s, a config whose bundle directory is bundle (root.path is
// relative to it), and returns the first problem as a one-line
// *FieldError. It reads the file system only to check root.path and a
// network namespace path, and changes nothing.
func Spec(s *specs.Spec, bundle string, opts ...Option) error {
	o := options{log: slog.New(slog.DiscardHandler), hostNetNS: "/proc/self/ns/net"}
	for _, opt := range opts {
		opt(&o)
	}
	if s == nil {
		return invalidConfigf("config: empty")
	}
	v := &validator{s: s, bundle: bundle, o: o, ns: map[specs.LinuxNamespaceType]nsInfo{}}
	for _, check := range []func() error{
		v.version, v.root, v.process, v.namespaces, v.uts, v.mounts, v.hooks,
		v.idMappings, v.sysctls, v.devices, v.resources, v.cgroupsPath, v.paths, v.timeOffsets,
		v.procFeatures,
	} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

type nsInfo struct {
	index int
	path  string
}

type validator struct {
	s      *specs.Spec
	bundle string
	o      options
	ns     map[specs.LinuxNamespaceType]nsInfo
}

func (v *validator) linux() *specs.Linux {
	if v.s.Linux == nil {
		return &specs.Linux{}
	}
	return v.s.Linux
}

// has reports whether the container gets namespace t, new or joined.
func (v *validator) has(t specs.LinuxNamespaceType) bool {
	_, ok := v.ns[t]
	return ok
}

// semver is compiled on first use, not at package init (see validIDChars).
var semver = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
		`(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)
})

func (v *validator) version() error {
	ver := v.s.Version
	if ver == "" {
		return fieldErr("ociVersion", "must be set")
	}
	m := semver().FindStringSubmatch(ver)
	if m == nil {
		return fieldErr("ociVersion", "%q is not a semantic version (MAJOR.MINOR.PATCH)", ver)
	}
	if m[1] != "1" {
		return fieldErr("ociVersion", "%q: unsupported major version %s, this runtime implements 1.x (up to %s)",
			ver, m[1], specs.Version)
	}
	return nil
}

func (v *validator) root() error {
	r := v.s.Root
	if r == nil {
		return fieldErr("root", "must be set")
	}
	if r.Path == "" {
		return fieldErr("root.path", "must not be empty")
	}
	p := r.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(v.bundle, p)
	}
	fi, err := os.Stat(p)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fieldErr("root.path", "%s: %w", p, err)
	}
	if !fi.IsDir() {
		return fieldErr("root.path", "%s: is not a directory", p)
	}
	return nil
}

func absPath(field, p string) error {
	if p == "" {
		return fieldErr(field, "must not be empty")
	}
	if !filepath.IsAbs(p) {
		return fieldErr(field, "%q is not an absolute path", p)
	}
	return nil
}

// envList checks KEY=value entries as execve(2) and runc need them.
func envList(field string, env []string) error {
	for i, e := range env {
		f := fmt.Sprintf("%s[%d]", field, i)
		name, _, ok := strings.Cut(e, "=")
		switch {
		case !ok:
			return fieldErr(f, "%q is not in KEY=value form", e)
		case name == "":
			return fieldErr(f, "%q has an empty name", e)
		case strings.IndexByte(e, 0) >= 0:
			return fieldErr(f, "%q contains a NUL byte", e)
		}
	}
	return nil
}

func (v *validator) process() error {
	p := v.s.Process
	if p == nil {
		if v.o.processOptional {
			return nil
		}
		return fieldErr("process", "must be set")
	}
	if len(p.Args) == 0 {
		return fieldErr("process.args", "must not be empty")
	}
	if p.Args[0] == "" {
		return fieldErr("process.args[0]", "must not be empty")
	}
	for i, a := range p.Args {
		if strings.IndexByte(a, 0) >= 0 {
			return fieldErr(fmt.Sprintf("process.args[%d]", i), "contains a NUL byte")
		}
	}
	if err := absPath("process.cwd", p.Cwd); err != nil {
		return err
	}
	if err := envList("process.env", p.Env); err != nil {
		return err
	}
	if err := v.user(p.User); err != nil {
		return err
	}
	// Unknown capability names are not checked here: the init drops them
	// with a warning (runc 1.1.5+), so a spec written for a newer kernel
	// still runs.
	if err := processRlimits(p.Rlimits); err != nil {
		return err
	}
	if p.OOMScoreAdj != nil && (*p.OOMScoreAdj < -1000 || *p.OOMScoreAdj > 1000) {
		return fieldErr("process.oomScoreAdj", "%d is out of range -1000..1000", *p.OOMScoreAdj)
	}
	if err := scheduler(p.Scheduler); err != nil {
		return err
	}
	if io := p.IOPriority; io != nil {
		switch io.Class {
		case specs.IOPRIO_CLASS_RT, specs.IOPRIO_CLASS_BE, specs.IOPRIO_CLASS_IDLE:
		default:
			return fieldErr("process.ioPriority.class", "unknown class %q", io.Class)
		}
		if io.Priority < 0 || io.Priority > 7 {
			return fieldErr("process.ioPriority.priority", "%d is out of range 0..7", io.Priority)
		}
	}
	return nil
}

// noID is (uid_t)-1, which set*id(2) read as "unchanged".
const noID = 1<<32 - 1

func (v *validator) user(u specs.User) error {
	if u.UID == noID {
		return fieldErr("process.user.uid", "%d is not a valid id", u.UID)
	}
	if u.GID == noID {
		return fieldErr("process.user.gid", "%d is not a valid id", u.GID)
	}
	for i, g := range u.AdditionalGids {
		if g == noID {
			return fieldErr(fmt.Sprintf("process.user.additionalGids[%d]", i), "%d is not a valid id", g)
		}
	}
	if u.Umask != nil && *u.Umask > 0o777 {
		return fieldErr("process.user.umask", "%#o is out of range 0..0777", *u.Umask)
	}
	return nil
}

func processRlimits(rl []specs.POSIXRlimit) error {
	seen := map[string]int{}
	for i, l := range rl {
		f := fmt.Sprintf("process.rlimits[%d]", i)
		if _, err := rlimits.Resource(l.Type); err != nil {
			return fieldErr(f+".type", "%v", err)
		}
		if j, dup := seen[l.Type]; dup {
			return fieldErr(f+".type", "duplicate %s (also process.rlimits[%d])", l.Type, j)
		}
		seen[l.Type] = i
		if l.Soft > l.Hard {
			return fieldErr(f, "soft limit %d is greater than hard limit %d", l.Soft, l.Hard)
		}
	}
	return nil
}

var schedPolicies = []specs.LinuxSchedulerPolicy{
	specs.SchedOther, specs.SchedFIFO, specs.SchedRR, specs.SchedBatch,
	specs.SchedISO, specs.SchedIdle, specs.SchedDeadline,
}

var schedFlags = []specs.LinuxSchedulerFlag{
	specs.SchedFlagResetOnFork, specs.SchedFlagReclaim, specs.SchedFlagDLOverrun,
	specs.SchedFlagKeepPolicy, specs.SchedFlagKeepParams, specs.SchedFlagUtilClampMin,
	specs.SchedFlagUtilClampMax,
}

// scheduler applies sched_setattr(2)'s rules.
func scheduler(s *specs.Scheduler) error {
	if s == nil {
		return nil
	}
	if s.Policy == "" {
		return fieldErr("process.scheduler.policy", "must be set")
	}
	if !slices.Contains(schedPolicies, s.Policy) {
		return fieldErr("process.scheduler.policy", "unknown policy %q", s.Policy)
	}
	if s.Nice < -20 || s.Nice > 19 {
		return fieldErr("process.scheduler.nice", "%d is out of range -20..19", s.Nice)
	}
	if s.Priority != 0 && s.Policy != specs.SchedFIFO && s.Policy != specs.SchedRR {
		return fieldErr("process.scheduler.priority", "only SCHED_FIFO and SCHED_RR take a priority")
	}
	if s.Policy != specs.SchedDeadline && (s.Runtime != 0 || s.Deadline != 0 || s.Period != 0) {
		return fieldErr("process.scheduler", "runtime, deadline and period are only for SCHED_DEADLINE")
	}
	for i, f := range s.Flags {
		if !slices.Contains(schedFlags, f) {
			return fieldErr(fmt.Sprintf("process.scheduler.flags[%d]", i), "unknown flag %q", f)
		}
	}
	return nil
}

var nsTypes = []specs.LinuxNamespaceType{
	specs.PIDNamespace, specs.NetworkNamespace, specs.MountNamespace, specs.IPCNamespace,
	specs.UTSNamespace, specs.UserNamespace, specs.CgroupNamespace, specs.TimeNamespace,
}

func (v *validator) namespaces() error {
	for i, n := range v.linux().Namespaces {
		f := fmt.Sprintf("linux.namespaces[%d]", i)
		if !slices.Contains(nsTypes, n.Type) {
			return fieldErr(f+".type", "unknown namespace type %q", n.Type)
		}
		if prev, dup := v.ns[n.Type]; dup {
			return fieldErr(f+".type", "duplicate namespace type %q (also linux.namespaces[%d])", n.Type, prev.index)
		}
		if n.Path != "" && !filepath.IsAbs(n.Path) {
			return fieldErr(f+".path", "%q is not an absolute path", n.Path)
		}
		v.ns[n.Type] = nsInfo{index: i, path: n.Path}
	}
	return nil
}

func (v *validator) uts() error {
	if v.s.Hostname != "" && !v.has(specs.UTSNamespace) {
		return fieldErr("hostname", "cannot be set without a uts namespace in linux.namespaces")
	}
	if v.s.Domainname != "" && !v.has(specs.UTSNamespace) {
		return fieldErr("domainname", "cannot be set without a uts namespace in linux.namespaces")
	}
	return nil
}

func (v *validator) mounts() error {
	for i, m := range v.s.Mounts {
		f := fmt.Sprintf("mounts[%d]", i)
		if m.Destination == "" {
			return fieldErr(f+".destination", "must not be empty")
		}
		if strings.IndexByte(m.Destination, 0) >= 0 {
			return fieldErr(f+".destination", "contains a NUL byte")
		}
		if !filepath.IsAbs(m.Destination) {
			v.o.log.Warn("relative mount destination is deprecated; taken as relative to /",
				slog.String("field", f+".destination"), slog.String("destination", m.Destination))
		}
		bind := m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
		if bind && m.Source == "" {
			return fieldErr(f+".source", "must not be empty for a bind mount")
		}
		if len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0 {
			if !bind {
				return fieldErr(f, "uidMappings/gidMappings are only supported for bind mounts")
			}
			if len(m.UIDMappings) == 0 || len(m.GIDMappings) == 0 {
				return fieldErr(f, "an idmapped mount needs both uidMappings and gidMappings")
			}
			if err := mappings(f+".uidMappings", m.UIDMappings); err != nil {
				return err
			}
			if err := mappings(f+".gidMappings", m.GIDMappings); err != nil {
				return err
			}
		}
	}
	return nil
}

func (v *validator) hooks() error {
	h := v.s.Hooks
	if h == nil {
		return nil
	}
	//lint:ignore SA1019 prestart is deprecated but still valid and honoured
	prestart := h.Prestart
	for _, list := range []struct {
		name  string
		hooks []specs.Hook
	}{
		{"prestart", prestart},
		{"createRuntime", h.CreateRuntime},
		{"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer},
		{"poststart", h.Poststart},
		{"poststop", h.Poststop},
	} {
		for i, hk := range list.hooks {
			f := fmt.Sprintf("hooks.%s[%d]", list.name, i)
			if err := absPath(f+".path", hk.Path); err != nil {
				return err
			}
			if hk.Timeout != nil && *hk.Timeout <= 0 {
				return fieldErr(f+".timeout", "%d must be greater than zero", *hk.Timeout)
			}
			if err := envList(f+".env", hk.Env); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxMappings is the kernel's limit of lines in uid_map (since 4.15).
const maxMappings = 340

func mappings(field string, m []specs.LinuxIDMapping) error {
	if len(m) > maxMappings {
		return fieldErr(field, "%d ranges, the kernel accepts at most %d", len(m), maxMappings)
	}
	for i, a := range m {
		f := fmt.Sprintf("%s[%d]", field, i)
		if a.Size == 0 {
			return fieldErr(f+".size", "must be greater than zero")
		}
		if uint64(a.ContainerID)+uint64(a.Size) > 1<<32 || uint64(a.HostID)+uint64(a.Size) > 1<<32 {
			return fieldErr(f, "range exceeds the 32-bit id space")
		}
		for j, b := range m[:i] {
			if a.ContainerID < b.ContainerID+b.Size && b.ContainerID < a.ContainerID+a.Size {
				return fieldErr(f+".containerID", "range overlaps %s[%d]", field, j)
			}
			if a.HostID < b.HostID+b.Size && b.HostID < a.HostID+a.Size {
				return fieldErr(f+".hostID", "range overlaps %s[%d]", field, j)
			}
		}
	}
	return nil
}

func (v *validator) idMappings() error {
	l := v.linux()
	userns, hasUser := v.ns[specs.UserNamespace]
	if !hasUser {
		if len(l.UIDMappings) > 0 {
			return fieldErr("linux.uidMappings", "set, but linux.namespaces has no user namespace")
		}
		if len(l.GIDMappings) > 0 {
			return fieldErr("linux.gidMappings", "set, but linux.namespaces has no user namespace")
		}
		return nil
	}
	if userns.path == "" {
		if len(l.UIDMappings) == 0 {
			return fieldErr("linux.uidMappings", "a new user namespace (linux.namespaces[%d]) needs uid mappings", userns.index)
		}
		if len(l.GIDMappings) == 0 {
			return fieldErr("linux.gidMappings", "a new user namespace (linux.namespaces[%d]) needs gid mappings", userns.index)
		}
	}
	if err := mappings("linux.uidMappings", l.UIDMappings); err != nil {
		return err
	}
	return mappings("linux.gidMappings", l.GIDMappings)
}

// ipcSysctls are the System V IPC sysctls that an ipc namespace owns
// (ipc_namespaces(7)); fs.mqueue.* are checked by prefix.
var ipcSysctls = []string{
	"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
}

func (v *validator) sysctls() error {
	keys := make([]string, 0, len(v.linux().Sysctl))
	for k := range v.linux().Sysctl {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		f := fmt.Sprintf("linux.sysctl[%q]", key)
		dot, err := sysctl.Normalize(key)
		if err != nil {
			return fieldErr(f, "%v", err)
		}
		switch {
		case slices.Contains(ipcSysctls, dot) || strings.HasPrefix(dot, "fs.mqueue."):
			if !v.has(specs.IPCNamespace) {
				return fieldErr(f, "needs an ipc namespace in linux.namespaces")
			}
		case strings.HasPrefix(dot, "net."):
			if err := v.notHostNet(f); err != nil {
				return err
			}
		case dot == "kernel.domainname" || dot == "kernel.hostname":
			if !v.has(specs.UTSNamespace) {
				return fieldErr(f, "needs a uts namespace in linux.namespaces")
			}
			// As runc: the sysctl may repeat the spec's field, never
			// contradict it.
			field, set := "domainname", v.s.Domainname
			if dot == "kernel.hostname" {
				field, set = "hostname", v.s.Hostname
			}
			if val := v.linux().Sysctl[key]; set != "" && val != set {
				return fieldErr(f, "%q conflicts with the %s field %q", val, field, set)
			}
		default:
			return fieldErr(f, "not namespaced: a container may not set it")
		}
	}
	return nil
}

// notHostNet refuses a net.* sysctl unless the container has a network
// namespace that is not the runtime's own.
func (v *validator) notHostNet(field string) error {
	n, ok := v.ns[specs.NetworkNamespace]
	if !ok {
		return fieldErr(field, "needs a network namespace in linux.namespaces")
	}
	if n.path == "" {
		return nil
	}
	var a, b os.FileInfo
	var err error
	if a, err = os.Stat(n.path); err != nil {
		return fieldErr(fmt.Sprintf("linux.namespaces[%d].path", n.index), "%v", err)
	}
	if b, err = os.Stat(v.o.hostNetNS); err != nil {
		return fieldErr(field, "cannot check the network namespace: %v", err)
	}
	if os.SameFile(a, b) {
		return fieldErr(field, "not allowed: linux.namespaces[%d].path %s is the host's network namespace", n.index, n.path)
	}
	return nil
}

var deviceTypes = []string{"c", "b", "u", "p"}

// deviceFileType is the S_IFMT bits of each linux.devices type.
var deviceFileType = map[string]uint32{"c": 0o020000, "u": 0o020000, "b": 0o060000, "p": 0o010000}

func (v *validator) devices() error {
	for i, d := range v.linux().Devices {
		f := fmt.Sprintf("linux.devices[%d]", i)
		if !slices.Contains(deviceTypes, d.Type) {
			return fieldErr(f+".type", "%q is not one of c, b, u, p", d.Type)
		}
		if err := absPath(f+".path", d.Path); err != nil {
			return err
		}
		if filepath.Clean(d.Path) == "/" || filepath.Clean(d.Path) == "/dev" {
			return fieldErr(f+".path", "%q cannot be a device node", d.Path)
		}
		if d.Major < 0 || d.Minor < 0 {
			return fieldErr(f, "major %d / minor %d must not be negative", d.Major, d.Minor)
		}
		if d.Type == "p" && (d.Major != 0 || d.Minor != 0) {
			// runtime-spec says major/minor are not used for fifos; runc and
			// runtime-tools' linux_devices send them anyway, so they are
			// ignored rather than refused.
			v.o.log.Warn("major/minor ignored for a fifo (type p)", slog.String("field", f))
		}
		if d.FileMode != nil {
			// A raw unix mode. Podman sends the file-type bits too
			// (020666 for a char device); runc takes the permission bits,
			// so a type that matches the device's is accepted.
			m := uint32(*d.FileMode)
			if m&^(0o170000|0o7777) != 0 {
				return fieldErr(f+".fileMode", "%#o is not a file mode", m)
			}
			if t := m & 0o170000; t != 0 && t != deviceFileType[d.Type] {
				return fieldErr(f+".fileMode", "%#o has the file type %#o, not that of a type %s device (%#o)", m, t, d.Type, deviceFileType[d.Type])
			}
		}
	}
	return nil
}

func (v *validator) resources() error {
	r := v.linux().Resources
	if r == nil {
		return nil
	}
	for i, d := range r.Devices {
		f := fmt.Sprintf("linux.resources.devices[%d]", i)
		switch d.Type {
		case "", "a", "c", "b":
		default:
			return fieldErr(f+".type", "%q is not one of a, c, b", d.Type)
		}
		if strings.Trim(d.Access, "rwm") != "" {
			return fieldErr(f+".access", "%q may only contain r, w and m", d.Access)
		}
	}
	return nil
}

func (v *validator) cgroupsPath() error {
	p := v.linux().CgroupsPath
	if p == "" {
		return nil
	}
	const f = "linux.cgroupsPath"
	if strings.IndexByte(p, 0) >= 0 {
		return fieldErr(f, "contains a NUL byte")
	}
	if v.o.systemdCgroup {
		parts := strings.Split(p, ":")
		if len(parts) != 3 {
			return fieldErr(f, "%q is not in the systemd form slice:prefix:name", p)
		}
		slice, name := parts[0], parts[2]
		if slice != "" && (!strings.HasSuffix(slice, ".slice") || strings.Contains(slice, "/")) {
			return fieldErr(f, "%q: slice %q must end in .slice and contain no /", p, slice)
		}
		if name == "" || strings.Contains(parts[1]+name, "/") {
			return fieldErr(f, "%q: prefix and name must not contain /, and name must not be empty", p)
		}
		return nil
	}
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return fieldErr(f, "%q must not contain .. components", p)
		}
	}
	return nil
}

func (v *validator) paths() error {
	l := v.linux()
	for _, list := range []struct {
		name  string
		paths []string
	}{{"linux.maskedPaths", l.MaskedPaths}, {"linux.readonlyPaths", l.ReadonlyPaths}} {
		for i, p := range list.paths {
			if err := absPath(fmt.Sprintf("%s[%d]", list.name, i), p); err != nil {
				return err
			}
		}
		if len(list.paths) > 0 && !v.has(specs.MountNamespace) {
			return fieldErr(list.name, "needs a mount namespace in linux.namespaces")
		}
	}
	switch l.RootfsPropagation {
	case "", "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable":
	default:
		return fieldErr("linux.rootfsPropagation", "unknown propagation %q", l.RootfsPropagation)
	}
	return nil
}

func (v *validator) timeOffsets() error {
	off := v.linux().TimeOffsets
	if len(off) == 0 {
		return nil
	}
	n, ok := v.ns[specs.TimeNamespace]
	if !ok {
		return fieldErr("linux.timeOffsets", "needs a new time namespace in linux.namespaces")
	}
	if n.path != "" {
		return fieldErr("linux.timeOffsets", "cannot be applied to a time namespace joined by path (linux.namespaces[%d].path)", n.index)
	}
	clocks := make([]string, 0, len(off))
	for c := range off {
		clocks = append(clocks, c)
	}
	slices.Sort(clocks)
	for _, clock := range clocks {
		o := off[clock]
		if clock != "monotonic" && clock != "boottime" {
			return fieldErr(fmt.Sprintf("linux.timeOffsets[%q]", clock), "unknown clock, want monotonic or boottime")
		}
		if o.Nanosecs >= 1e9 {
			return fieldErr(fmt.Sprintf("linux.timeOffsets[%q].nanosecs", clock), "%d is not below 1e9", o.Nanosecs)
		}
	}
	return nil
}
