package groups

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
	"github.com/gocontainer/gocontainer/tests/contest/support"
)

// The group list is youki's: the names must stay stable so results
// compare line by line, and registering them must not panic on a
// duplicate.
func TestAllGroupsRegisterWithYoukisNames(t *testing.T) {
	m := framework.NewManager(nil)
	for _, g := range All(&support.Env{}) {
		m.AddGroup(g)
	}
	names := m.GroupNames()
	require.Len(t, names, 62)
	for _, want := range []string{
		"lifecycle", "create", "pidfile", "ns_itype", "hooks", "start_container_hook_env_inherit",
		"prestart", "prestart_fail", "poststart", "poststart_fail", "poststop", "poststop_fail", "create_runtime",
		"cgroup_v1_pids", "cgroup_v1_cpu", "cgroup_v2_cpu", "cgroup_v1_memory", "cgroup_v1_network",
		"cgroup_v1_relative_network", "cgroup_v1_blkio", "huge_tlb", "seccomp", "seccomp_notify",
		"readonly_paths", "masked_paths", "set_host_name", "domainname_test", "set_misc_props",
		"mounts_recursive", "intel_rdt", "sysctl", "set_scheduler_policy", "memory_policy", "set_io_priority",
		"delete", "devices", "root_readonly", "process", "process_capabilities", "process_capabilities_bounding",
		"process_capabilities_fail", "process_user", "process_rlimits", "process_rlimits_fail",
		"process_oom_score_adj", "no_pivot", "fd_control", "kill_container", "kill_no_effect", "killsig",
		"rootfs_propagation", "net_devices", "uid_mappings", "exec_cpu_affinity", "exec_env", "exec",
		"personality", "prohibit_symlink", "update", "time_ns", "checkpoint_restore", "example",
	} {
		require.Contains(t, names, want)
	}
	for _, name := range []string{"fd_control", "net_devices", "checkpoint_restore"} {
		require.False(t, m.Group(name).Parallel(), "%s touches host-wide state and runs alone", name)
	}
}
