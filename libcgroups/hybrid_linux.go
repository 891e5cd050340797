package libcgroups

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups/common"
	"github.com/gocontainer/gocontainer/libcgroups/fs"
	"github.com/gocontainer/gocontainer/libcgroups/fs2"
)

// hybridManager drives a hybrid host: every controller mounted as v1 through
// the v1 manager, and the cgroup2 tree (<root>/unified) for the controllers
// only it has (hugetlb on some hosts). The process is always placed in the
// cgroup2 tree too, as runc does: systemd and tools that read "0::" in
// /proc/<pid>/cgroup expect it there, and it is the one tree that sees the
// whole container when a controller moves between v1 and v2.
type hybridManager struct {
	v1 v1Half
	v2 v2Half
}

// v1Half is what the hybrid manager needs of the v1 manager (fs.Manager);
// an interface so routing is unit-tested with fakes.
type v1Half interface {
	Manager
	// Path is the directory of a v1 controller, "" if not mounted.
	Path(controller string) string
}

// v2Half is what the hybrid manager needs of the cgroup2 manager
// (fs2.Manager).
type v2Half interface {
	Manager
	Dir() string
	// Check validates resources as Set would, without writing limits.
	Check(r *specs.LinuxResources) error
}

var (
	_ v1Half = (*fs.Manager)(nil)
	_ v2Half = (*fs2.Manager)(nil)
)

func (h *hybridManager) Apply(pid int) error {
	if err := h.v1.Apply(pid); err != nil {
		return err
	}
	return h.v2.Apply(pid)
}

func (h *hybridManager) AddTask(pid int) error {
	if err := h.v1.AddTask(pid); err != nil {
		return err
	}
	return h.v2.AddTask(pid)
}

// Set routes each resource group to where the kernel has its controller:
// the v1 hierarchy if mounted there, else the cgroup2 tree (on this kind of
// host hugetlb, rdma or misc may be v2-only), see splitResources. Device
// rules go to the v1 devices controller when it is mounted, else to the
// cgroup2 eBPF program.
//
// The cgroup2 half is checked first (values, controllers, files), then the
// v1 half is set (the v1 manager validates all of it before writing), then
// the cgroup2 half: invalid input anywhere leaves every limit as it was.
func (h *hybridManager) Set(r *specs.LinuxResources) error {
	v1r, v2r := splitResources(r, func(c string) bool { return h.v1.Path(c) != "" })
	if err := h.v2.Check(v2r); err != nil {
		return err
	}
	if err := h.v1.Set(v1r); err != nil {
		return err
	}
	return h.v2.Set(v2r)
}

// freezeV1 says whether the v1 freezer is used; without it the cgroup2
// tree's cgroup.freeze is.
func (h *hybridManager) freezeV1() bool { return h.v1.Path("freezer") != "" }

func (h *hybridManager) Freeze(state FreezerState) error {
	if h.freezeV1() {
		return h.v1.Freeze(state)
	}
	return h.v2.Freeze(state)
}

func (h *hybridManager) FreezerState() (FreezerState, error) {
	if h.freezeV1() {
		return h.v1.FreezerState()
	}
	return h.v2.FreezerState()
}

// Pids and AllPids read the cgroup2 tree, where Apply always puts the
// container.
func (h *hybridManager) Pids() ([]int, error)    { return h.v2.Pids() }
func (h *hybridManager) AllPids() ([]int, error) { return h.v2.AllPids() }

func (h *hybridManager) Kill(sig unix.Signal) error {
	if h.freezeV1() {
		return h.v1.Kill(sig)
	}
	return h.v2.Kill(sig)
}

func (h *hybridManager) Destroy() error {
	return errors.Join(h.v1.Destroy(), h.v2.Destroy())
}

func (h *hybridManager) Paths() map[string]string {
	p := h.v1.Paths()
	p[common.UnifiedKey] = h.v2.Dir()
	return p
}

func (h *hybridManager) Exists() bool { return h.v1.Exists() || h.v2.Exists() }

func (h *hybridManager) OOMKillCount() (uint64, error) {
	if h.v1.Path("memory") != "" {
		return h.v1.OOMKillCount()
	}
	return h.v2.OOMKillCount()
}

// Stats reads each controller where the kernel has it: the v1 hierarchy
// if mounted, else the cgroup2 tree (hugetlb on this kind of host). PSI
// exists only in cgroup2; the container's processes are there too, so its
// pressure files are reported.
func (h *hybridManager) Stats() (*Stats, error) {
	st, err := h.v1.Stats()
	if err != nil {
		return nil, err
	}
	if !h.v2.Exists() {
		// A container created before the cgroup2 tree was used, or a
		// v2 tree without a directory for it: v1 has it all.
		return st, nil
	}
	st2, err := h.v2.Stats()
	if err != nil {
		return nil, err
	}
	common.MergeStats(st, st2, func(c string) bool { return h.v1.Path(c) != "" })
	return st, nil
}
