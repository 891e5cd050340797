package integration

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// refusedYet is the runtime's text for a valid config feature it does not
// implement yet (libcontainer's checkSupported).
const refusedYet = "not supported yet"

// skipIfRefused skips the test while the runtime still refuses the feature
// outright: the mechanism exists, but create's feature gate has not been
// opened yet. Any other failure is left to the caller to report.
func skipIfRefused(t *testing.T, res result, field string) {
	t.Helper()
	if res.code != 0 && strings.Contains(res.stderr, field) && strings.Contains(res.stderr, refusedYet) {
		t.Skipf("the runtime still refuses %s: %s", field, strings.TrimSpace(res.stderr))
	}
}

// startSleeper creates and starts a `sleep 1000` container from spec and
// returns the host pid of the container process once it runs busybox
// sleep (the init has exec'd), skipping while field is refused.
func startSleeper(t *testing.T, r *rt, spec *specs.Spec, id, field string) int {
	t.Helper()
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, id)
	res := r.run(t, "create", "--bundle", b.dir, id)
	skipIfRefused(t, res, field)
	require.Equal(t, 0, res.code, "create\n%s", res)
	pid := r.mustState(t, id).Pid
	r.ok(t, "start", id)
	eventually(t, 10*time.Second, "the container process to exec sleep", func() bool {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		return err == nil && string(cmdline) == "sleep\x001000\x00"
	})
	return pid
}

// TestMemoryPolicyIsTheContainerProcesssPolicy checks from the host that
// every mapping of the container process falls under the task memory
// policy from linux.memoryPolicy (numa_maps prints the policy of each
// mapping; mappings without one of their own show the task's). Node 0
// exists on every Linux machine.
func TestMemoryPolicyIsTheContainerProcesssPolicy(t *testing.T) {
	r := newRuntime(t)
	if _, err := os.Stat("/sys/devices/system/node/node0"); err != nil {
		t.Skip("kernel without NUMA support:", err)
	}
	for _, tc := range []struct {
		policy specs.LinuxMemoryPolicy
		want   string
	}{
		{specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0"}, "bind:0"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0"}, "interleave:0"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolPreferred, Nodes: "0"}, "prefer:0"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}}, "bind=static:0"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolLocal}, "local"},
	} {
		t.Run(strings.ReplaceAll(tc.want, ":", "_"), func(t *testing.T) {
			spec := baseSpec("sleep", "1000")
			spec.Linux.CgroupsPath = uniqueCgroup(t)
			p := tc.policy
			spec.Linux.MemoryPolicy = &p
			pid := startSleeper(t, r, spec, "mempol", "linux.memoryPolicy")

			maps := readFile(t, fmt.Sprintf("/proc/%d/numa_maps", pid))
			lines := strings.Split(strings.TrimSpace(maps), "\n")
			require.NotEmpty(t, lines)
			for _, line := range lines {
				f := strings.Fields(line)
				require.GreaterOrEqual(t, len(f), 2, "numa_maps line %q", line)
				require.Equal(t, tc.want, f[1], "policy of mapping %q", line)
			}
		})
	}

	// Without a memory policy the process has the default one: the check
	// above can tell the difference.
	t.Run("none", func(t *testing.T) {
		spec := baseSpec("sleep", "1000")
		spec.Linux.CgroupsPath = uniqueCgroup(t)
		pid := startSleeper(t, r, spec, "mempol", "")
		require.Contains(t, readFile(t, fmt.Sprintf("/proc/%d/numa_maps", pid)), " default ")
	})
}

// cpusAllowed is the Cpus_allowed_list line of /proc/<pid>/status.
func cpusAllowed(t *testing.T, pid int) string {
	t.Helper()
	for line := range strings.SplitSeq(readFile(t, fmt.Sprintf("/proc/%d/status", pid)), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no Cpus_allowed_list in /proc/%d/status", pid)
	return ""
}

// TestExecCPUAffinityIsTheContainerProcesssAffinity checks the affinity of
// the container process from the host, for "final" and for "initial"
// alone (then the process keeps it: nothing changes it after the cgroup
// move).
func TestExecCPUAffinityIsTheContainerProcesssAffinity(t *testing.T) {
	r := newRuntime(t)
	var mine unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &mine))
	var allowed []int
	for c := 0; c < len(mine)*64; c++ {
		if mine.IsSet(c) {
			allowed = append(allowed, c)
		}
	}
	last := strconv.Itoa(allowed[len(allowed)-1])
	for _, tc := range []struct {
		name string
		aff  specs.CPUAffinity
		want string
	}{
		{"final", specs.CPUAffinity{Final: "0"}, "0"},
		{"final_over_initial", specs.CPUAffinity{Initial: "0", Final: last}, last},
		// Only the runtime's setup runs on "initial" and the runtime does
		// not touch the affinity after the cgroup move; since Linux 6.2
		// the cpuset attach keeps the sched_setaffinity mask, so it stays.
		{"initial_only", specs.CPUAffinity{Initial: last}, last},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !mine.IsSet(0) {
				t.Skip("CPU 0 is not in this test's affinity")
			}
			spec := baseSpec("sleep", "1000")
			spec.Linux.CgroupsPath = uniqueCgroup(t)
			a := tc.aff
			spec.Process.ExecCPUAffinity = &a
			pid := startSleeper(t, r, spec, "affinity", "process.execCPUAffinity")
			want := tc.want
			if tc.aff.Final == "" && kernelBefore(t, 6, 2) && fileExists("/sys/fs/cgroup/"+cgroupRel(spec.Linux.CgroupsPath)+"/cpuset.cpus") {
				// Before Linux 6.2 moving a task into a cpuset resets its
				// affinity to the cpuset's CPUs, so "initial" does not last
				// (the same with runc); hack/vm runs Debian 12's 6.1.
				want = cpusAllowed(t, os.Getpid())
			}
			require.Equal(t, want, cpusAllowed(t, pid))
		})
	}
}

// TestBadMemoryPolicyAndAffinityFailCreate checks that bad values fail
// create and run with one line naming the field, and leave nothing
// behind. The syntax errors are caught by the config checks, before the
// feature gate; the last two are well-formed but name a node or CPU this
// host does not have, so the kernel refuses them in the init.
func TestBadMemoryPolicyAndAffinityFailCreate(t *testing.T) {
	r := newRuntime(t)
	for _, tc := range []struct {
		name string
		edit func(s *specs.Spec)
		gate string // the field create refuses while not supported yet
		want []string
	}{
		{"unknown_mode", func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: "MPOL_BOGUS", Nodes: "0"}
		}, "", []string{"linux.memoryPolicy.mode", "MPOL_BOGUS"}},
		{"unknown_flag", func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{"MPOL_F_BOGUS"}}
		}, "", []string{"linux.memoryPolicy.flags[0]", "MPOL_F_BOGUS"}},
		{"malformed_nodes", func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0-"}
		}, "", []string{"linux.memoryPolicy.nodes", `"0-"`}},
		{"nodes_out_of_range", func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0,4096"}
		}, "", []string{"linux.memoryPolicy.nodes", "4096 is out of range"}},
		{"nodes_for_default", func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolDefault, Nodes: "0"}
		}, "", []string{"linux.memoryPolicy.nodes", "MPOL_DEFAULT takes no nodes"}},
		{"bind_without_nodes", func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind}
		}, "", []string{"linux.memoryPolicy.nodes", "needs at least one node"}},
		{"malformed_final", func(s *specs.Spec) {
			s.Process.ExecCPUAffinity = &specs.CPUAffinity{Final: "1,,2"}
		}, "", []string{"process.execCPUAffinity.final", "malformed"}},
		{"reversed_initial", func(s *specs.Spec) {
			s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "3-1"}
		}, "", []string{"process.execCPUAffinity.initial", "reversed"}},
		{"absent_node", func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "1023"}
		}, "linux.memoryPolicy", []string{"memory policy", "linux.memoryPolicy", "set_mempolicy"}},
		{"absent_cpu", func(s *specs.Spec) {
			s.Process.ExecCPUAffinity = &specs.CPUAffinity{Final: "1023"}
		}, "process.execCPUAffinity", []string{"CPU affinity", "process.execCPUAffinity.final", "sched_setaffinity"}},
	} {
		for _, command := range []string{"create", "run"} {
			t.Run(command+"/"+tc.name, func(t *testing.T) {
				if strings.HasPrefix(tc.name, "absent_node") {
					if _, err := os.Stat("/sys/devices/system/node/node1023"); err == nil {
						t.Skip("this host has node 1023")
					}
				}
				if strings.HasPrefix(tc.name, "absent_cpu") {
					if _, err := os.Stat("/sys/devices/system/cpu/cpu1023"); err == nil {
						t.Skip("this host has CPU 1023")
					}
				}
				snap := takeSnapshot(t)
				spec := baseSpec("sleep", "1000")
				cg := uniqueCgroup(t)
				spec.Linux.CgroupsPath = cg
				tc.edit(spec)
				b := newBundle(t, spec)
				id := "badproc"
				r.deleteOnCleanup(t, id)
				res := r.run(t, command, "--bundle", b.dir, id)
				t.Logf("stderr: %s", res.stderr)
				if tc.gate != "" {
					skipIfRefused(t, res, tc.gate)
				}
				requireOneLineError(t, res, tc.want...)
				r.requireNothingLeft(t, snap, id, cg)
			})
		}
	}
}
