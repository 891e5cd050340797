package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gocontainer/gocontainer/libcgroups"
	"github.com/gocontainer/gocontainer/libcontainer"
	"github.com/gocontainer/gocontainer/ocicli"
)

// oomDrain is how long events keeps reading OOM notifications after the
// container's init exited: an OOM kill of the init makes both happen at
// once, and the notification must not be lost to the exit.
const oomDrain = 500 * time.Millisecond

// Events prints the container's events as runc does, one JSON object per
// line: {"type":"stats","id":ID,"data":{...}} and {"type":"oom","id":ID}.
// With --stats one stats event is printed; otherwise stats every
// --interval (the first at once) and OOM events as they happen, until the
// container stops.
func (h *handler) Events(ctx context.Context, g *ocicli.GlobalOptions, o *ocicli.EventsOptions) error {
	c, log, err := h.load(g, o.ID)
	if err != nil {
		return err
	}
	if c.Status() == libcontainer.StatusStopped {
		return fmt.Errorf("container with id %s is not running", o.ID)
	}
	enc := json.NewEncoder(g.Stdout)
	emitStats := func() error {
		st, err := c.Stats()
		if err != nil {
			return err
		}
		return enc.Encode(event{Type: "stats", ID: o.ID, Data: convertStats(st)})
	}
	if o.Stats {
		return emitStats()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	exited, err := c.Exited(ctx)
	if err != nil {
		if errors.Is(err, libcontainer.ErrNotRunning) {
			return fmt.Errorf("container with id %s is not running", o.ID)
		}
		return err
	}
	ooms, err := c.OOMEvents(ctx)
	if err != nil {
		// Stats are still worth printing without OOM notifications
		// (e.g. no memory controller).
		log.Warn("events: no OOM notifications", slog.Any("error", err))
	}
	emitOOM := func() error { return enc.Encode(event{Type: "oom", ID: o.ID}) }

	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	if err := emitStats(); err != nil {
		log.Warn("events: stats", slog.Any("error", err))
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-exited:
			return drainOOM(ooms, emitOOM)
		case _, ok := <-ooms:
			if !ok {
				ooms = nil // notifications ended; keep printing stats
				continue
			}
			if err := emitOOM(); err != nil {
				return err
			}
		case <-tick.C:
			if err := emitStats(); err != nil {
				if errors.Is(err, libcontainer.ErrNotRunning) {
					return drainOOM(ooms, emitOOM)
				}
				// runc logs a failed read and keeps going: a transient
				// error must not end a long-running events stream.
				log.Warn("events: stats", slog.Any("error", err))
			}
		}
	}
}

// drainOOM prints the OOM notifications that arrive within oomDrain.
func drainOOM(ooms <-chan struct{}, emit func() error) error {
	if ooms == nil {
		return nil
	}
	deadline := time.NewTimer(oomDrain)
	defer deadline.Stop()
	for {
		select {
		case _, ok := <-ooms:
			if !ok {
				return nil
			}
			if err := emit(); err != nil {
				return err
			}
		case <-deadline.C:
			return nil
		}
	}
}

// event is runc's events envelope (runc types.Event).
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

// The types below are runc's `events` stats JSON (runc types/events.go),
// the ABI that containerd's go-runc and other clients decode. They are
// kept apart from libcgroups.Stats so the library can name things its own
// way while this output never changes.

type statsJSON struct {
	CPU     cpuJSON                `json:"cpu"`
	Memory  memoryJSON             `json:"memory"`
	Pids    pidsJSON               `json:"pids"`
	Blkio   blkioJSON              `json:"blkio"`
	Hugetlb map[string]hugetlbJSON `json:"hugetlb"`
}

type hugetlbJSON struct {
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

type blkioEntryJSON struct {
	Major uint64 `json:"major,omitempty"`
	Minor uint64 `json:"minor,omitempty"`
	Op    string `json:"op,omitempty"`
	Value uint64 `json:"value,omitempty"`
}

type blkioJSON struct {
	IoServiceBytesRecursive []blkioEntryJSON     `json:"ioServiceBytesRecursive,omitempty"`
	IoServicedRecursive     []blkioEntryJSON     `json:"ioServicedRecursive,omitempty"`
	PSI                     *libcgroups.PSIStats `json:"psi,omitempty"`
}

type pidsJSON struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

type throttlingJSON struct {
	Periods          uint64 `json:"periods,omitempty"`
	ThrottledPeriods uint64 `json:"throttledPeriods,omitempty"`
	ThrottledTime    uint64 `json:"throttledTime,omitempty"`
}

type cpuUsageJSON struct {
	Total  uint64   `json:"total,omitempty"`
	Percpu []uint64 `json:"percpu,omitempty"`
	Kernel uint64   `json:"kernel"`
	User   uint64   `json:"user"`
}

type cpuJSON struct {
	Usage      cpuUsageJSON         `json:"usage,omitempty"`
	Throttling throttlingJSON       `json:"throttling,omitempty"`
	PSI        *libcgroups.PSIStats `json:"psi,omitempty"`
}

type memoryEntryJSON struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

type memoryJSON struct {
	Cache uint64               `json:"cache,omitempty"`
	Usage memoryEntryJSON      `json:"usage,omitempty"`
	Swap  memoryEntryJSON      `json:"swap,omitempty"`
	Raw   map[string]uint64    `json:"raw,omitempty"`
	PSI   *libcgroups.PSIStats `json:"psi,omitempty"`
}

func convertStats(st *libcgroups.Stats) *statsJSON {
	mem := func(e libcgroups.MemoryEntry) memoryEntryJSON {
		return memoryEntryJSON{Limit: e.Limit, Usage: e.Usage, Max: e.MaxUsage, Failcnt: e.Failcnt}
	}
	blkio := func(es []libcgroups.BlkioEntry) []blkioEntryJSON {
		var out []blkioEntryJSON
		for _, e := range es {
			out = append(out, blkioEntryJSON(e))
		}
		return out
	}
	out := &statsJSON{
		CPU: cpuJSON{
			Usage: cpuUsageJSON{
				Total: st.CPU.Usage.Total, Percpu: st.CPU.Usage.PerCPU,
				Kernel: st.CPU.Usage.Kernel, User: st.CPU.Usage.User,
			},
			Throttling: throttlingJSON(st.CPU.Throttling),
			PSI:        st.CPU.PSI,
		},
		Memory: memoryJSON{
			Cache: st.Memory.Cache,
			Usage: mem(st.Memory.Usage),
			Swap:  mem(st.Memory.Swap),
			Raw:   st.Memory.Stat,
			PSI:   st.Memory.PSI,
		},
		Pids: pidsJSON(st.Pids),
		Blkio: blkioJSON{
			IoServiceBytesRecursive: blkio(st.Blkio.IoServiceBytesRecursive),
			IoServicedRecursive:     blkio(st.Blkio.IoServicedRecursive),
			PSI:                     st.Blkio.PSI,
		},
		Hugetlb: map[string]hugetlbJSON{},
	}
	for size, h := range st.Hugetlb {
		out.Hugetlb[size] = hugetlbJSON{Usage: h.Usage, Max: h.MaxUsage, Failcnt: h.Failcnt}
	}
	return out
}
