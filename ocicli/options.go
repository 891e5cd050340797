package ocicli

import (
	"context"
	"io"
	"syscall"
	"time"
)

// DefaultRoot is the default --root for a runtime running as real root. A
// rootless binary usually wants $XDG_RUNTIME_DIR/gocontainer instead: it
// implements DefaultRooter to change the flag's default.
const DefaultRoot = "/run/gocontainer"

// Rootless modes accepted by the global --rootless flag.
const (
	RootlessAuto  = "auto"
	RootlessTrue  = "true"
	RootlessFalse = "false"
)

// Output formats accepted by list --format and ps --format.
const (
	FormatTable = "table"
	FormatJSON  = "json"
)

// GlobalOptions are the flags every subcommand accepts.
type GlobalOptions struct {
	// Root is the state directory (--root).
	Root string
	// RootSet is true when --root was given on the command line, so the
	// binary can tell "the default" from "the user asked for the default"
	// (runc creates $XDG_RUNTIME_DIR/runc only in the first case).
	RootSet bool
	// Log is the log file (--log); empty means stderr.
	Log string
	// LogFormat is "text" or "json" (--log-format).
	LogFormat string
	// Debug enables debug logging (--debug).
	Debug bool
	// LogLevel is "", "debug", "info", "warn" or "error" (--log-level, a
	// youki extension). When set it wins over Debug.
	LogLevel string
	// SystemdCgroup selects the systemd cgroup driver (--systemd-cgroup).
	SystemdCgroup bool
	// Rootless is "true", "false" or "auto" (--rootless).
	Rootless string
	// Criu is the obsolete --criu path. runc ignores it since 1.2 (criu is
	// looked up on $PATH); it is accepted so old callers keep working.
	Criu string

	// Stdin, Stdout and Stderr are the cobra command's streams (os.Std*
	// under Execute, whatever SetIn/SetOut/SetErr set otherwise). Output
	// such as state JSON goes to Stdout.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// CreateOptions are the flags and arguments of "create".
type CreateOptions struct {
	// ID is the container id (the only positional argument).
	ID string
	// Bundle is the bundle directory (--bundle/-b), always absolute; the
	// default is the current directory.
	Bundle string
	// PidFile is the file the init pid is written to (--pid-file), made
	// absolute against the current directory like runc does, or "".
	PidFile string
	// ConsoleSocket receives the pty master (--console-socket).
	ConsoleSocket string
	// PidfdSocket receives a pidfd of the init process (--pidfd-socket).
	PidfdSocket string
	// NoPivot uses MS_MOVE+chroot instead of pivot_root (--no-pivot).
	NoPivot bool
	// NoNewKeyring keeps the caller's session keyring (--no-new-keyring).
	NoNewKeyring bool
	// PreserveFDs is the number of fds after stdio and $LISTEN_FDS that are
	// passed to the container (--preserve-fds), never negative.
	PreserveFDs int
}

// RunOptions are the flags and arguments of "run": create's plus the
// foreground/detach behaviour.
type RunOptions struct {
	CreateOptions
	// Detach returns once the container is started (--detach/-d).
	Detach bool
	// Keep skips the delete after the container exits (--keep).
	Keep bool
	// NoSubreaper disables PR_SET_CHILD_SUBREAPER (--no-subreaper).
	NoSubreaper bool
}

// StartOptions are the arguments of "start".
type StartOptions struct{ ID string }

// StateOptions are the arguments of "state".
type StateOptions struct{ ID string }

// PauseOptions are the arguments of "pause".
type PauseOptions struct{ ID string }

// ResumeOptions are the arguments of "resume".
type ResumeOptions struct{ ID string }

// KillOptions are the flags and arguments of "kill ID [SIGNAL]".
type KillOptions struct {
	ID string
	// Signal is the signal as typed (default "SIGTERM").
	Signal string
	// SignalNum is Signal parsed by ParseSignal.
	SignalNum syscall.Signal
	// All sends the signal to every process of the container (--all/-a,
	// hidden and obsolete in runc but still sent by containerd).
	All bool
}

// DeleteOptions are the flags and arguments of "delete".
type DeleteOptions struct {
	ID string
	// Force kills a running container first (--force/-f).
	Force bool
}

// ListOptions are the flags of "list".
type ListOptions struct {
	// Format is "table" or "json" (--format/-f).
	Format string
	// Quiet prints only ids (--quiet/-q).
	Quiet bool
}

// PsOptions are the flags and arguments of "ps ID [ps options...]".
type PsOptions struct {
	ID string
	// Format is "table" or "json" (--format/-f).
	Format string
	// PsArgs are passed to ps(1) in table format. Flag parsing stops at the
	// container id, so "ps ID -ef" works.
	PsArgs []string
}

// EventsOptions are the flags and arguments of "events".
type EventsOptions struct {
	ID string
	// Stats prints one stats event and exits (--stats).
	Stats bool
	// Interval is the stats period (--interval, default 5s), always > 0.
	Interval time.Duration
}

// SpecOptions are the flags of "spec".
type SpecOptions struct {
	// Bundle is where config.json is written (--bundle/-b), always
	// absolute; the default is the current directory.
	Bundle string
	// Rootless generates a spec for a rootless container (--rootless).
	Rootless bool
}

// FeaturesOptions are the (empty) options of "features".
type FeaturesOptions struct{}

// ExecOptions are the flags and arguments of
// "exec [flags] ID COMMAND [ARGS...]" and "exec -p process.json ID".
type ExecOptions struct {
	ID string
	// Args is the command and its arguments. Flag parsing stops at the
	// container id, so flags of the command are passed through. Empty only
	// when Process is set.
	Args []string
	// Process is a process.json path (--process/-p); when set, the other
	// process flags are ignored by runc.
	Process string
	// Detach returns once the process is started (--detach/-d).
	Detach bool
	// TTY allocates a pseudo-terminal (--tty/-t).
	TTY bool
	// ConsoleSocket receives the pty master (--console-socket).
	ConsoleSocket string
	// PidfdSocket receives a pidfd of the process (--pidfd-socket).
	PidfdSocket string
	// Cwd overrides the working directory (--cwd).
	Cwd string
	// Env is appended to the environment (--env/-e, repeatable).
	Env []string
	// User is --user/-u as typed ("uid[:gid]"); UID and GID are it parsed.
	User string
	UID  *uint32
	GID  *uint32
	// AdditionalGids are extra groups (--additional-gids/-g, repeatable).
	AdditionalGids []uint32
	// Caps are added to the bounding, effective and permitted sets (never
	// inheritable; CVE-2022-29162) (--cap/-c, repeatable).
	Caps []string
	// NoNewPrivs is nil unless --no-new-privs was given; then it overrides
	// the process' noNewPrivileges.
	NoNewPrivs *bool
	// AppArmor overrides the AppArmor profile (--apparmor).
	AppArmor string
	// ProcessLabel overrides the SELinux label (--process-label).
	ProcessLabel string
	// PreserveFDs is the number of extra fds passed (--preserve-fds).
	PreserveFDs int
	// PidFile is the file the pid is written to (--pid-file), absolute.
	PidFile string
	// IgnorePaused allows exec in a paused container (--ignore-paused).
	IgnorePaused bool
	// Cgroups are the raw --cgroup values ("[ctrl[,ctrl]:]path", repeatable).
	Cgroups []string
	// SubCgroupPaths is Cgroups parsed by ParseSubCgroupPaths: controller
	// to path, or {"": path} for cgroup v2. Nil when no --cgroup was given.
	SubCgroupPaths map[string]string
}

// UpdateOptions are the flags and arguments of "update". Each resource
// field is nil unless its flag was given on the command line; Resources
// (when set) makes runc ignore every other resource flag. Use
// LinuxResources to turn them into a specs.LinuxResources.
type UpdateOptions struct {
	ID string
	// Resources is a JSON file of specs.LinuxResources, or "-" for stdin
	// (--resources/-r).
	Resources string

	BlkioWeight       *uint16 // --blkio-weight
	CPUPeriod         *uint64 // --cpu-period
	CPUQuota          *int64  // --cpu-quota
	CPUBurst          *uint64 // --cpu-burst
	CPUShares         *uint64 // --cpu-share
	CPURtPeriod       *uint64 // --cpu-rt-period
	CPURtRuntime      *int64  // --cpu-rt-runtime
	CPUIdle           *int64  // --cpu-idle
	CpusetCpus        *string // --cpuset-cpus
	CpusetMems        *string // --cpuset-mems
	Memory            *int64  // --memory (bytes; "512m" accepted; -1 unlimited)
	MemoryReservation *int64  // --memory-reservation
	MemorySwap        *int64  // --memory-swap
	PidsLimit         *int64  // --pids-limit
	L3CacheSchema     *string // --l3-cache-schema (Intel RDT)
	MemBwSchema       *string // --mem-bw-schema (Intel RDT)

	// IgnoredFlags lists obsolete flags that were given and have no effect
	// (--kernel-memory, --kernel-memory-tcp); runc warns about each.
	IgnoredFlags []string
}

// CheckpointOptions are the flags and arguments of "checkpoint".
type CheckpointOptions struct {
	ID                string
	ImagePath         string   // --image-path
	WorkPath          string   // --work-path
	ParentPath        string   // --parent-path
	LeaveRunning      bool     // --leave-running
	TCPEstablished    bool     // --tcp-established
	TCPSkipInFlight   bool     // --tcp-skip-in-flight
	LinkRemap         bool     // --link-remap
	ExtUnixSk         bool     // --ext-unix-sk
	ShellJob          bool     // --shell-job
	LazyPages         bool     // --lazy-pages
	StatusFd          int      // --status-fd (default -1)
	PageServer        string   // --page-server ADDRESS:PORT
	FileLocks         bool     // --file-locks
	PreDump           bool     // --pre-dump
	ManageCgroupsMode string   // --manage-cgroups-mode: "", soft, full, strict, ignore
	EmptyNs           []string // --empty-ns (repeatable)
	AutoDedup         bool     // --auto-dedup
}

// RestoreOptions are the flags and arguments of "restore".
type RestoreOptions struct {
	ID                string
	ConsoleSocket     string   // --console-socket
	ImagePath         string   // --image-path
	WorkPath          string   // --work-path
	TCPEstablished    bool     // --tcp-established
	ExtUnixSk         bool     // --ext-unix-sk
	ShellJob          bool     // --shell-job
	FileLocks         bool     // --file-locks
	ManageCgroupsMode string   // --manage-cgroups-mode
	Bundle            string   // --bundle/-b, absolute, default cwd
	Detach            bool     // --detach/-d
	PidFile           string   // --pid-file, absolute
	NoSubreaper       bool     // --no-subreaper
	NoPivot           bool     // --no-pivot
	EmptyNs           []string // --empty-ns (repeatable)
	AutoDedup         bool     // --auto-dedup
	LazyPages         bool     // --lazy-pages
	LsmProfile        string   // --lsm-profile TYPE:NAME
	LsmMountContext   string   // --lsm-mount-context
}

// Handler is what the binary implements: one method per subcommand. A
// method gets parsed and validated options; it returns nil on success, an
// *ExitError to choose the process exit code (run and exec return the
// container process' status that way), or any other error, which Execute
// prints as one line and turns into exit code 1.
type Handler interface {
	Create(ctx context.Context, g *GlobalOptions, o *CreateOptions) error
	Start(ctx context.Context, g *GlobalOptions, o *StartOptions) error
	State(ctx context.Context, g *GlobalOptions, o *StateOptions) error
	Kill(ctx context.Context, g *GlobalOptions, o *KillOptions) error
	Delete(ctx context.Context, g *GlobalOptions, o *DeleteOptions) error
	Run(ctx context.Context, g *GlobalOptions, o *RunOptions) error
	List(ctx context.Context, g *GlobalOptions, o *ListOptions) error
	Exec(ctx context.Context, g *GlobalOptions, o *ExecOptions) error
	Ps(ctx context.Context, g *GlobalOptions, o *PsOptions) error
	Pause(ctx context.Context, g *GlobalOptions, o *PauseOptions) error
	Resume(ctx context.Context, g *GlobalOptions, o *ResumeOptions) error
	Events(ctx context.Context, g *GlobalOptions, o *EventsOptions) error
	Update(ctx context.Context, g *GlobalOptions, o *UpdateOptions) error
	Features(ctx context.Context, g *GlobalOptions, o *FeaturesOptions) error
	Checkpoint(ctx context.Context, g *GlobalOptions, o *CheckpointOptions) error
	Restore(ctx context.Context, g *GlobalOptions, o *RestoreOptions) error
	Spec(ctx context.Context, g *GlobalOptions, o *SpecOptions) error
}

// DefaultRooter may be implemented by a Handler to replace DefaultRoot as
// the default of --root (for example $XDG_RUNTIME_DIR/gocontainer when
// running rootless). It is called once, by NewRootCommand.
type DefaultRooter interface {
	DefaultRoot() string
}

// ErrorLogger may be implemented by a Handler to record a failing
// command's error in its own log (containerd and conmon read the last
// "error" entry of the --log file). Execute calls it with the parsed global
// options before printing the error to stderr; it should not print to
// stderr itself. When the error is about a global flag, g holds that flag's
// unchecked value, so the logger must cope with, e.g., an unknown LogFormat.
type ErrorLogger interface {
	LogError(g *GlobalOptions, err error)
}

// VersionInfo is what --version prints.
type VersionInfo struct {
	Version    string // "1.0.0"
	Commit     string // git commit; line omitted when empty
	Spec       string // runtime-spec version
	Go         string // runtime.Version() when empty
	Libseccomp string // "2.5.4"; line omitted when empty
}
