package libcgroups

import (
	"log/slog"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups/common"
)

// Manager controls one container's cgroup on every hierarchy the host has.
// Implementations: fs.Manager (cgroup v1), fs2.Manager (cgroup v2), the
// hybrid manager returned by New on hybrid hosts, and cgroupstest.Manager.
type Manager interface {
	// Apply creates the cgroup and moves pid into it; pid -1 only creates.
	Apply(pid int) error
	// AddTask moves pid into the existing cgroup (exec); ErrNotExist if gone.
	AddTask(pid int) error
	// Set applies resource limits. A nil r is a no-op; unset fields are
	// left alone; the whole request is validated before the first write.
	Set(r *specs.LinuxResources) error
	// Freeze freezes (Frozen) or thaws (Thawed) every process in the
	// cgroup and returns once the kernel reports the new state.
	Freeze(state FreezerState) error
	// FreezerState reports the current state; Undefined without a freezer.
	FreezerState() (FreezerState, error)
	// Pids lists the processes in the cgroup itself.
	Pids() ([]int, error)
	// AllPids lists the processes in the cgroup and its sub-cgroups.
	AllPids() ([]int, error)
	// Kill sends sig to every process of the cgroup tree, freezing it
	// meanwhile so none escapes by forking (SIGKILL on v2 uses cgroup.kill).
	Kill(sig unix.Signal) error
	// Destroy removes the cgroup and its sub-cgroups in every hierarchy;
	// already gone is fine. Processes must have exited (see Kill).
	Destroy() error
	// Paths maps controller name to directory, for state.json: every v1
	// controller ("cpu", "cpuacct", ..., "name=systemd") and "" for the
	// cgroup v2 directory (unified and hybrid hosts).
	Paths() map[string]string
	// Exists reports whether the cgroup directory exists.
	Exists() bool
	// OOMKillCount is how many processes the OOM killer killed in the cgroup.
	OOMKillCount() (uint64, error)
	// Stats reports resource usage of every controller the host has
	// (cpu, memory, pids, blkio/io, hugetlb, PSI on cgroup2, OOM kills).
	Stats() (*Stats, error)
}

// Config says which cgroup a Manager manages.
type Config struct {
	// Host is the cgroup filesystem to work on: Root (default
	// /sys/fs/cgroup) and, for tests, replacements for statfs, the
	// /proc/self files and rmdir.
	Host
	// Path is the OCI linux.cgroupsPath. Absolute: from each hierarchy's
	// root. Relative: from the calling process's own cgroup. Empty: Name,
	// relative. ".." may not climb above the start.
	Path string
	// Name is the container id, the default Path.
	Name string
	// Systemd asks for the systemd cgroup driver (package systemd): Path
	// is then "slice:prefix:name" or empty, and the caller's systemd
	// instance (the user's when Rootless or unprivileged) must answer on
	// D-Bus, else New fails wrapping ErrNoSystemd.
	Systemd bool
	// SystemdBus is a D-Bus address to reach systemd at instead of the
	// default sockets (tests).
	SystemdBus string
	// Rootless uses the cgroup tree only where the caller may write it
	// (runc's rootless cgroup manager): see New. Set it when the runtime is
	// not the host's root (non-zero euid, or uid 0 in a user namespace).
	Rootless bool
	// Resources, if known at creation, tell Apply which cgroup v2
	// controllers to enable down the path.
	Resources *specs.LinuxResources
	// Logger receives debug lines for every cgroupfs write; nil discards.
	Logger *slog.Logger
	// FreezeTimeout bounds Freeze; 0 means 10s.
	FreezeTimeout time.Duration
}

// Host is the cgroup filesystem view; see common.Host.
type Host = common.Host

// FreezerState is a freezer state: Undefined, Frozen or Thawed.
type FreezerState = common.FreezerState

// Freezer states.
const (
	Undefined = common.Undefined
	Frozen    = common.Frozen
	Thawed    = common.Thawed
)

// Setup is how the host mounts cgroups: Legacy, Hybrid or Unified.
type Setup = common.Setup

// Setups.
const (
	Legacy  = common.Legacy
	Hybrid  = common.Hybrid
	Unified = common.Unified
)

// Stats is resource usage; the other types are its parts.
type (
	Stats         = common.Stats
	PidsStats     = common.PidsStats
	CPUStats      = common.CPUStats
	CPUUsage      = common.CPUUsage
	CPUThrottling = common.CPUThrottling
	MemoryStats   = common.MemoryStats
	MemoryEntry   = common.MemoryEntry
	BlkioStats    = common.BlkioStats
	BlkioEntry    = common.BlkioEntry
	HugetlbStats  = common.HugetlbStats
	PSIStats      = common.PSIStats
	PSIData       = common.PSIData
)

// DefaultRoot is where cgroups are mounted unless Config.Root says otherwise.
const DefaultRoot = common.DefaultRoot

// Sentinel errors; see common for their meaning.
var (
	ErrNotExist              = common.ErrNotExist
	ErrInvalidPath           = common.ErrInvalidPath
	ErrNoCgroupFS            = common.ErrNoCgroupFS
	ErrControllerUnavailable = common.ErrControllerUnavailable
	ErrFreezeTimeout         = common.ErrFreezeTimeout
)
