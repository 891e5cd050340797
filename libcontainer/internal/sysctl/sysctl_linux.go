package sysctl

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/gocontainer/gocontainer/libcontainer/internal/sysctl/procfs"
	"golang.org/x/sys/unix"
)

// Apply writes every sysctl in sysctls, in key order, to /proc/sys
// through a freshly opened verified procfs handle. It stops at the first
// failure; the error names the key and value, e.g.
// `sysctl kernel.shmmax="x": write /proc/sys/kernel/shmmax: invalid argument`.
//
// The files under /proc/sys act on the namespaces of the writing task,
// so call it from the container init after it has joined its namespaces.
func Apply(sysctls map[string]string) error {
	if len(sysctls) == 0 {
		return nil
	}
	h, err := procfs.Open()
	if err != nil {
		return fmt.Errorf("sysctls: %w", err)
	}
	defer h.Close()
	return ApplyWith(h, sysctls)
}

// ApplyWith is [Apply] with a procfs handle the caller already holds.
func ApplyWith(h *procfs.Handle, sysctls map[string]string) error {
	keys := make([]string, 0, len(sysctls))
	for k := range sysctls {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := write(h, k, sysctls[k]); err != nil {
			return fmt.Errorf("sysctl %s=%q: %w", k, sysctls[k], err)
		}
	}
	return nil
}

func write(h *procfs.Handle, key, value string) error {
	dot, err := Normalize(key)
	if err != nil {
		return err
	}
	f, err := h.OpenFile(procPath(dot), unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer f.Close()
	return procfs.WriteFile(f, []byte(value))
}

// WriteOOMScoreAdj writes v to /proc/self/oom_score_adj through a verified
// procfs handle. Lowering it below the current value needs
// CAP_SYS_RESOURCE, and it must be written while the process is still
// dumpable or owned by the writer (proc(5)).
func WriteOOMScoreAdj(v int) error {
	h, err := procfs.Open()
	if err != nil {
		return fmt.Errorf("oom_score_adj: %w", err)
	}
	defer h.Close()
	return WriteOOMScoreAdjWith(h, v)
}

// WriteOOMScoreAdjWith is [WriteOOMScoreAdj] with a handle the caller holds.
func WriteOOMScoreAdjWith(h *procfs.Handle, v int) error {
	if v < -1000 || v > 1000 {
		return fmt.Errorf("oom_score_adj %d: out of range -1000..1000", v)
	}
	f, err := h.OpenSelf("oom_score_adj", unix.O_WRONLY)
	if err != nil {
		return fmt.Errorf("oom_score_adj %d: %w", v, err)
	}
	defer f.Close()
	if err := procfs.WriteFile(f, []byte(strconv.Itoa(v))); err != nil {
		return fmt.Errorf("oom_score_adj %d: %w", v, err)
	}
	return nil
}
