package libcontainer

//lint:file-ignore SA1019 linux.resources.memory.kernel and kernelTCP are deprecated but still appear in configs: they are read to warn that this kernel cannot apply them, as runc does.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/libcontainer/internal/stopat"
)

// Update changes the cgroup limits of a created, running or paused
// container, as "runc update" does.
//
// r holds the changes only: a nil section, a nil field, a zero number or an
// empty cpuset list leaves the current value alone (runc's "0 means
// unchanged"; -1 means unlimited where the kernel has such a value).
// cpu.burst and cpu.idle, where 0 is a real value, and the memory booleans
// change whenever they are non-nil. unified keys are merged one by one.
//
// The changes are merged over the container's effective resources (kept in
// state.json since create), and every section the update touches is set
// whole: the cgroup manager then checks the new values against each other
// (memory+swap against the limit, burst against the quota) before it
// writes anything, and a CFS period survives a quota-only update on cgroup
// v2, where both live in cpu.max. An invalid value fails with an error
// naming the field, leaving the kernel's limits and state.json as they
// were; state.json gets the new resources only after the kernel took them.
// A value the kernel refuses after validation (a cpuset outside the
// parent's) fails the same way, but the groups written before it stay.
//
// Devices, hugepageLimits, network, rdma and the per-device blockIO lists
// are not updatable (runc ignores them the same way): they are logged as
// ignored.
func (c *Container) Update(r *specs.LinuxResources) error {
	l, err := c.lockForUpdate()
	if err != nil {
		return err
	}
	defer l.Close()
	cur, err := c.state.recordedResources()
	if err != nil {
		return fmt.Errorf("update container %q: %w", c.state.ID, err)
	}
	m, err := mergeResources(cur, r)
	if err != nil {
		return err
	}
	for _, f := range m.ignored {
		c.logger.Warn("update: field cannot be changed by update, ignored", slog.String("field", "linux.resources."+f))
	}
	if m.request == nil {
		c.logger.Debug("update: nothing to change")
		return nil
	}
	stopat.Here("update:locked")
	cg, err := c.cgroup()
	if err != nil {
		return fmt.Errorf("update container %q: %w", c.state.ID, err)
	}
	// The new state is written (not yet in place) before any limit
	// changes: a full or read-only state directory refuses the update
	// with nothing changed.
	raw, err := json.Marshal(m.effective)
	if err != nil {
		return fmt.Errorf("update container %q: %w", c.state.ID, err)
	}
	next := *c.state
	next.Resources = raw
	commit, err := prepareState(c.dir, &next)
	if err != nil {
		return fmt.Errorf("update container %q: nothing changed: %w", c.state.ID, err)
	}
	if err := cg.Set(m.request); err != nil {
		_ = commit(false)
		return fmt.Errorf("update container %q: %w", c.state.ID, err)
	}
	stopat.Here("update:set")
	if err := commit(true); err != nil {
		return fmt.Errorf("update container %q: limits set but not recorded: %w", c.state.ID, err)
	}
	c.state = &next
	return nil
}

// merged is what an update does: the cgroup request to Set, the resources
// in effect afterwards, and the requested fields update cannot change.
type merged struct {
	// request is nil when the update changes nothing.
	request   *specs.LinuxResources
	effective *specs.LinuxResources
	ignored   []string
}

// mergeResources merges the changes upd over the effective resources cur
// (nil: none recorded). cur is not modified.
func mergeResources(cur, upd *specs.LinuxResources) (merged, error) {
	eff, err := cloneResources(cur)
	if err != nil {
		return merged{}, err
	}
	m := merged{effective: eff}
	if upd == nil {
		return m, nil
	}
	req := &specs.LinuxResources{}
	touched := false

	if u := upd.Memory; u != nil {
		if eff.Memory == nil {
			eff.Memory = &specs.LinuxMemory{}
		}
		e := eff.Memory
		ch := setNonZero(&e.Limit, u.Limit)
		ch = setNonZero(&e.Reservation, u.Reservation) || ch
		ch = setNonZero(&e.Swap, u.Swap) || ch
		ch = setNonZero(&e.Kernel, u.Kernel) || ch
		ch = setNonZero(&e.KernelTCP, u.KernelTCP) || ch
		ch = setNonNil(&e.Swappiness, u.Swappiness) || ch
		ch = setNonNil(&e.DisableOOMKiller, u.DisableOOMKiller) || ch
		ch = setNonNil(&e.UseHierarchy, u.UseHierarchy) || ch
		if u.CheckBeforeUpdate != nil && *u.CheckBeforeUpdate {
			// The v1 kernel refuses a limit below usage it cannot
			// reclaim (EBUSY) by itself; nothing checks it beforehand.
			m.ignored = append(m.ignored, "memory.checkBeforeUpdate")
		}
		// A request flag, not a limit: it is not kept.
		e.CheckBeforeUpdate = nil
		if ch {
			mem := *e
			req.Memory, touched = &mem, true
		}
	}

	if u := upd.CPU; u != nil {
		if eff.CPU == nil {
			eff.CPU = &specs.LinuxCPU{}
		}
		e := eff.CPU
		ch := setNonZero(&e.Shares, u.Shares)
		ch = setNonZero(&e.Quota, u.Quota) || ch
		ch = setNonZero(&e.Period, u.Period) || ch
		ch = setNonZero(&e.RealtimeRuntime, u.RealtimeRuntime) || ch
		ch = setNonZero(&e.RealtimePeriod, u.RealtimePeriod) || ch
		// 0 is a real burst (none) and a real idle (not idle).
		ch = setNonNil(&e.Burst, u.Burst) || ch
		ch = setNonNil(&e.Idle, u.Idle) || ch
		if u.Cpus != "" {
			e.Cpus, ch = u.Cpus, true
		}
		if u.Mems != "" {
			e.Mems, ch = u.Mems, true
		}
		if ch {
			cpu := *e
			req.CPU, touched = &cpu, true
		}
	}

	if u := upd.BlockIO; u != nil {
		if eff.BlockIO == nil {
			eff.BlockIO = &specs.LinuxBlockIO{}
		}
		e := eff.BlockIO
		ch := setNonZero(&e.Weight, u.Weight)
		ch = setNonZero(&e.LeafWeight, u.LeafWeight) || ch
		if ch {
			// Only the weights: the per-device lists stay as create set
			// them and are not rewritten.
			req.BlockIO, touched = &specs.LinuxBlockIO{Weight: e.Weight, LeafWeight: e.LeafWeight}, true
		}
		for _, f := range []struct {
			name string
			n    int
		}{
			{"blockIO.weightDevice", len(u.WeightDevice)},
			{"blockIO.throttleReadBpsDevice", len(u.ThrottleReadBpsDevice)},
			{"blockIO.throttleWriteBpsDevice", len(u.ThrottleWriteBpsDevice)},
			{"blockIO.throttleReadIOPSDevice", len(u.ThrottleReadIOPSDevice)},
			{"blockIO.throttleWriteIOPSDevice", len(u.ThrottleWriteIOPSDevice)},
		} {
			if f.n > 0 {
				m.ignored = append(m.ignored, f.name)
			}
		}
	}

	if u := upd.Pids; u != nil {
		if eff.Pids == nil {
			eff.Pids = &specs.LinuxPids{}
		}
		if setNonZero(&eff.Pids.Limit, u.Limit) {
			pids := *eff.Pids
			req.Pids, touched = &pids, true
		}
	}

	if len(upd.Unified) > 0 {
		if eff.Unified == nil {
			eff.Unified = map[string]string{}
		}
		// Each key is its own file: only the given ones are written.
		maps.Copy(eff.Unified, upd.Unified)
		req.Unified, touched = maps.Clone(upd.Unified), true
	}

	if len(upd.Devices) > 0 {
		m.ignored = append(m.ignored, "devices")
	}
	if len(upd.HugepageLimits) > 0 {
		m.ignored = append(m.ignored, "hugepageLimits")
	}
	if upd.Network != nil {
		m.ignored = append(m.ignored, "network")
	}
	if len(upd.Rdma) > 0 {
		m.ignored = append(m.ignored, "rdma")
	}
	slices.Sort(m.ignored)
	if touched {
		m.request = req
	}
	return m, nil
}

// setNonZero sets *dst to a copy of *src when src is given and not zero,
// and reports whether it did.
func setNonZero[T int64 | uint64 | uint16](dst **T, src *T) bool {
	if src == nil || *src == 0 {
		return false
	}
	v := *src
	*dst = &v
	return true
}

// setNonNil sets *dst to a copy of *src when src is given.
func setNonNil[T any](dst **T, src *T) bool {
	if src == nil {
		return false
	}
	v := *src
	*dst = &v
	return true
}

// cloneResources deep-copies r (nil gives empty resources), so a merge
// never aliases the state it started from. A JSON round trip copies every
// field of every runtime-spec version without listing them.
func cloneResources(r *specs.LinuxResources) (*specs.LinuxResources, error) {
	out := &specs.LinuxResources{}
	if r == nil {
		return out, nil
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("copy recorded linux.resources: %w", err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("copy recorded linux.resources: %w", err)
	}
	return out, nil
}

// lockForUpdate takes the container's lock for an update, reloads the
// state (another update may have run between Load and the lock: work on
// what it saved, not on what was read before) and refuses a container
// that is not created, running or paused. The caller closes the lock.
func (c *Container) lockForUpdate() (*os.File, error) {
	l, err := c.lock()
	if err != nil {
		return nil, err
	}
	st, err := loadState(c.dir)
	switch {
	case err == nil:
		// c.cg stays: the cgroup paths are fixed at create.
		c.state = st
	case !errors.Is(err, fs.ErrNotExist): // none: a create killed early, stopped
		l.Close()
		return nil, fmt.Errorf("container %q: %w", c.state.ID, err)
	}
	switch s := c.Status(); s {
	case StatusCreated, StatusRunning, StatusPaused:
		return l, nil
	default:
		l.Close()
		return nil, fmt.Errorf("cannot update container %q that is %s: %w", c.state.ID, s, ErrNotRunning)
	}
}
