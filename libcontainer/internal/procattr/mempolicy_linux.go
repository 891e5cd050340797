package procattr

import (
	"fmt"
	"os"
	"slices"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// MaxNodes is the highest node count a kernel can be built with
// (CONFIG_NODES_SHIFT at most 10); a list naming a node beyond it can
// never be valid.
const MaxNodes = 1 << 10

// Memory policy modes and flags, from include/uapi/linux/mempolicy.h.
var mpolModes = map[specs.MemoryPolicyModeType]int{
	specs.MpolDefault:            0,
	specs.MpolPreferred:          1,
	specs.MpolBind:               2,
	specs.MpolInterleave:         3,
	specs.MpolLocal:              4,
	specs.MpolPreferredMany:      5,
	specs.MpolWeightedInterleave: 6,
}

const (
	mpolFNumaBalancing = 1 << 13
	mpolFRelativeNodes = 1 << 14
	mpolFStaticNodes   = 1 << 15
)

var mpolFlags = map[specs.MemoryPolicyFlagType]int{
	specs.MpolFNumaBalancing: mpolFNumaBalancing,
	specs.MpolFRelativeNodes: mpolFRelativeNodes,
	specs.MpolFStaticNodes:   mpolFStaticNodes,
}

// MemPolicy is linux.memoryPolicy as set_mempolicy(2) takes it.
type MemPolicy struct {
	// Mode is the mode ORed with the flags (the syscall's first argument).
	Mode int
	// Mask is the node mask, one bit per node, as long as the highest
	// node needs; nil when no node is given.
	Mask []uint64
}

// MaxNode is the syscall's maxnode argument. The kernel reads maxnode-1
// bits, so one more than the mask's bit count passes all of it.
func (m *MemPolicy) MaxNode() uint64 {
	if len(m.Mask) == 0 {
		return 0
	}
	return uint64(len(m.Mask))*64 + 1
}

// MemoryPolicy validates linux.memoryPolicy and converts it, applying the
// rules of set_mempolicy(2) so that a bad config fails create naming the
// field rather than failing later in the init with EINVAL.
func MemoryPolicy(p *specs.LinuxMemoryPolicy) (*MemPolicy, error) {
	if p.Mode == "" {
		return nil, fmt.Errorf("linux.memoryPolicy.mode: must be set")
	}
	mode, ok := mpolModes[p.Mode]
	if !ok {
		return nil, fmt.Errorf("linux.memoryPolicy.mode: unknown mode %q", p.Mode)
	}
	var flags int
	for i, f := range p.Flags {
		v, ok := mpolFlags[f]
		if !ok {
			return nil, fmt.Errorf("linux.memoryPolicy.flags[%d]: unknown flag %q", i, f)
		}
		flags |= v
	}
	noNodes := p.Mode == specs.MpolDefault || p.Mode == specs.MpolLocal
	switch {
	case flags&mpolFStaticNodes != 0 && flags&mpolFRelativeNodes != 0:
		return nil, fmt.Errorf("linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other")
	case noNodes && flags&(mpolFStaticNodes|mpolFRelativeNodes) != 0:
		return nil, fmt.Errorf("linux.memoryPolicy.flags: %s takes no node flags", p.Mode)
	case flags&mpolFNumaBalancing != 0 && p.Mode != specs.MpolBind && p.Mode != specs.MpolPreferredMany:
		return nil, fmt.Errorf("linux.memoryPolicy.flags: MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY, not %s", p.Mode)
	}
	mp := &MemPolicy{Mode: mode | flags}
	if p.Nodes == "" {
		// MPOL_PREFERRED without nodes is "local allocation".
		switch p.Mode {
		case specs.MpolBind, specs.MpolInterleave, specs.MpolWeightedInterleave, specs.MpolPreferredMany:
			return nil, fmt.Errorf("linux.memoryPolicy.nodes: %s needs at least one node", p.Mode)
		}
		return mp, nil
	}
	if noNodes {
		return nil, fmt.Errorf("linux.memoryPolicy.nodes: %s takes no nodes, got %q", p.Mode, p.Nodes)
	}
	ids, err := ParseList(p.Nodes, MaxNodes)
	if err != nil {
		return nil, fmt.Errorf("linux.memoryPolicy.nodes: %w", err)
	}
	highest := 0
	for _, id := range ids {
		highest = max(highest, id)
	}
	mp.Mask = make([]uint64, highest/64+1)
	for _, id := range ids {
		mp.Mask[id/64] |= 1 << (id % 64)
	}
	return mp, nil
}

// ApplyMemoryPolicy sets the NUMA memory policy of the calling thread,
// which execve passes on to the container process. The policy governs
// every later allocation of the thread, so the caller sets it as late as
// it can (but before a seccomp filter that may refuse set_mempolicy).
func ApplyMemoryPolicy(p *specs.LinuxMemoryPolicy) error {
	mp, err := MemoryPolicy(p)
	if err != nil {
		return err
	}
	var mask unsafe.Pointer
	if len(mp.Mask) > 0 {
		mask = unsafe.Pointer(&mp.Mask[0])
	}
	_, _, errno := unix.Syscall(unix.SYS_SET_MEMPOLICY, uintptr(mp.Mode), uintptr(mask), uintptr(mp.MaxNode()))
	if errno != 0 {
		return fmt.Errorf("linux.memoryPolicy: %s nodes %q: %w", p.Mode, p.Nodes, os.NewSyscallError("set_mempolicy", errno))
	}
	return nil
}

// MemoryPolicyModes lists the linux.memoryPolicy modes this package
// applies, sorted, for the features document.
func MemoryPolicyModes() []string { return sortedKeys(mpolModes) }

// MemoryPolicyFlags lists the linux.memoryPolicy flags, sorted.
func MemoryPolicyFlags() []string { return sortedKeys(mpolFlags) }

func sortedKeys[K ~string, V any](m map[K]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	slices.Sort(out)
	return out
}
