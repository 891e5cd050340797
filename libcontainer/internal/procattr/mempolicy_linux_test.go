package procattr

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestMemoryPolicyConversion(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    specs.LinuxMemoryPolicy
		mode int
		mask []uint64
		err  string
	}{
		{name: "default", p: specs.LinuxMemoryPolicy{Mode: specs.MpolDefault}, mode: 0},
		{name: "local", p: specs.LinuxMemoryPolicy{Mode: specs.MpolLocal}, mode: 4},
		{name: "preferred local", p: specs.LinuxMemoryPolicy{Mode: specs.MpolPreferred}, mode: 1},
		{name: "bind", p: specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0-1,3"}, mode: 2, mask: []uint64{0b1011}},
		{name: "interleave high node", p: specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "1,64"}, mode: 3, mask: []uint64{2, 1}},
		{name: "weighted", p: specs.LinuxMemoryPolicy{Mode: specs.MpolWeightedInterleave, Nodes: "1023"}, mode: 6,
			mask: append(make([]uint64, 15), 1<<63)},
		{name: "preferred many static", p: specs.LinuxMemoryPolicy{Mode: specs.MpolPreferredMany, Nodes: "2",
			Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}}, mode: 5 | 1<<15, mask: []uint64{4}},
		{name: "bind balancing relative", p: specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0",
			Flags: []specs.MemoryPolicyFlagType{specs.MpolFNumaBalancing, specs.MpolFRelativeNodes}}, mode: 2 | 1<<13 | 1<<14, mask: []uint64{1}},

		{name: "no mode", p: specs.LinuxMemoryPolicy{Nodes: "0"}, err: "linux.memoryPolicy.mode: must be set"},
		{name: "bad mode", p: specs.LinuxMemoryPolicy{Mode: "MPOL_NOPE"}, err: `linux.memoryPolicy.mode: unknown mode "MPOL_NOPE"`},
		{name: "bad flag", p: specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0",
			Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes, "MPOL_F_NOPE"}}, err: `linux.memoryPolicy.flags[1]: unknown flag "MPOL_F_NOPE"`},
		{name: "static and relative", p: specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0",
			Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes, specs.MpolFRelativeNodes}},
			err: "linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other"},
		{name: "local with node flag", p: specs.LinuxMemoryPolicy{Mode: specs.MpolLocal,
			Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}}, err: "linux.memoryPolicy.flags: MPOL_LOCAL takes no node flags"},
		{name: "balancing with interleave", p: specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0",
			Flags: []specs.MemoryPolicyFlagType{specs.MpolFNumaBalancing}},
			err: "linux.memoryPolicy.flags: MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY, not MPOL_INTERLEAVE"},
		{name: "default with nodes", p: specs.LinuxMemoryPolicy{Mode: specs.MpolDefault, Nodes: "0"},
			err: `linux.memoryPolicy.nodes: MPOL_DEFAULT takes no nodes, got "0"`},
		{name: "local with nodes", p: specs.LinuxMemoryPolicy{Mode: specs.MpolLocal, Nodes: "1"},
			err: `linux.memoryPolicy.nodes: MPOL_LOCAL takes no nodes, got "1"`},
		{name: "bind without nodes", p: specs.LinuxMemoryPolicy{Mode: specs.MpolBind},
			err: "linux.memoryPolicy.nodes: MPOL_BIND needs at least one node"},
		{name: "interleave without nodes", p: specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave},
			err: "linux.memoryPolicy.nodes: MPOL_INTERLEAVE needs at least one node"},
		{name: "malformed nodes", p: specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0,,1"},
			err: `linux.memoryPolicy.nodes: malformed element ""`},
		{name: "node out of range", p: specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "1024"},
			err: "linux.memoryPolicy.nodes: 1024 is out of range 0..1023"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mp, err := MemoryPolicy(&tc.p)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.mode, mp.Mode)
			require.Equal(t, tc.mask, mp.Mask)
			if tc.mask == nil {
				require.Zero(t, mp.MaxNode())
			} else {
				require.Equal(t, uint64(len(tc.mask))*64+1, mp.MaxNode())
			}
		})
	}
}

// getMempolicy reads the calling thread's policy back from the kernel.
func getMempolicy() (mode int, mask uint64, err error) {
	var m [MaxNodes / 64]uint64
	_, _, errno := unix.Syscall6(unix.SYS_GET_MEMPOLICY, uintptr(unsafe.Pointer(&mode)),
		uintptr(unsafe.Pointer(&m[0])), MaxNodes, 0, 0, 0)
	if errno != 0 {
		return 0, 0, os.NewSyscallError("get_mempolicy", errno)
	}
	return mode, m[0], nil
}

// TestApplyMemoryPolicy sets policies on locked threads that die with their
// goroutines, and reads each back with get_mempolicy(2). Node 0 exists on
// every Linux machine.
func TestApplyMemoryPolicy(t *testing.T) {
	if _, err := os.Stat("/sys/devices/system/node/node0"); err != nil {
		t.Skip("kernel without NUMA support:", err)
	}
	for _, tc := range []struct {
		p         specs.LinuxMemoryPolicy
		mode      int
		mask, err string
	}{
		{p: specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0"}, mode: 2},
		{p: specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}}, mode: 3 | 1<<15},
		{p: specs.LinuxMemoryPolicy{Mode: specs.MpolLocal}, mode: 4},
		{p: specs.LinuxMemoryPolicy{Mode: specs.MpolDefault}, mode: 0},
		// Node 1023 does not exist on this machine.
		{p: specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "1023"},
			err: `linux.memoryPolicy: MPOL_BIND nodes "1023": set_mempolicy: invalid argument`},
	} {
		t.Run(string(tc.p.Mode)+tc.p.Nodes, func(t *testing.T) {
			if strings.Contains(tc.err, "1023") {
				if _, err := os.Stat("/sys/devices/system/node/node1023"); err == nil {
					t.Skip("node 1023 exists")
				}
			}
			type res struct {
				mode int
				mask uint64
				err  error
			}
			c := make(chan res, 1)
			go func() {
				runtime.LockOSThread() // never unlocked: the policy dies with the thread
				if err := ApplyMemoryPolicy(&tc.p); err != nil {
					c <- res{err: err}
					return
				}
				m, mask, err := getMempolicy()
				c <- res{mode: m, mask: mask, err: err}
			}()
			r := <-c
			if tc.err != "" {
				require.EqualError(t, r.err, tc.err)
				return
			}
			require.NoError(t, r.err)
			require.Equal(t, tc.mode, r.mode)
			if tc.p.Nodes != "" {
				require.Equal(t, uint64(1), r.mask)
			}
		})
	}
}
