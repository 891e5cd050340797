package groups

import (
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
	"github.com/gocontainer/gocontainer/tests/contest/support"
)

// updateTest creates a running container with the resources initial sets,
// runs `update` with args (and resources as JSON on stdin via `-r -` when
// given), then checks the cgroup files.
func updateTest(env *support.Env, name string, cond func() (bool, string), initial func(*specs.LinuxResources), args []string, resources any, wants ...fileWant) *framework.ConditionalTest {
	return framework.NewConditionalTest(name, cond, func(t *framework.T) framework.Result {
		s := support.DefaultSpec()
		if initial != nil {
			initial(s.Linux.Resources)
		}
		return framework.FromError(env.TestOutsideContainer(t, s, func(c *support.Container, r support.CmdResult) error {
			if err := r.Ok(); err != nil {
				return err
			}
			if r := c.Start(t.Context()); r.Code != 0 {
				return r.Ok()
			}
			var o *support.ExecOpts
			full := append([]string{"update"}, args...)
			if resources != nil {
				data, err := json.Marshal(resources)
				if err != nil {
					return err
				}
				o = &support.ExecOpts{Stdin: data}
				full = append(full, "-r", "-")
			}
			if r := c.Exec(t.Context(), o, append(full, c.ID)...); r.Code != 0 {
				return r.Ok()
			}
			return checkFiles(s.Linux.CgroupsPath, wants)
		}))
	})
}

func updateGroup(env *support.Env) *framework.TestGroup {
	v2cpu, v2pids, v2cpuset := needV2("cpu"), needV2("pids"), needV2("cpuset")
	v2common := all(v2cpu, v2pids, needV2("memory"))
	v1common := all(needV1("cpu"), needV1("pids"), needV1("memory"))
	cpuQuota := func(r *specs.LinuxResources) {
		r.CPU = &specs.LinuxCPU{Quota: support.Ptr(int64(20000)), Period: support.Ptr(uint64(100000))}
	}
	return group("update",
		// youki's tests: cgroup v2 only.
		updateTest(env, "update_cgroup_v2_common_limits_test", v2common, nil,
			[]string{"--memory", "100M", "--pids-limit", "100", "--cpu-quota", "50000", "--cpu-period", "100000"}, nil,
			fileWant{"", "memory.max", "104857600"}, fileWant{"", "pids.max", "100"}, fileWant{"", "cpu.max", "50000 100000"}),
		updateTest(env, "update_cpu_limits_test", v2cpu, cpuQuota, []string{"--cpu-quota", "50000", "--cpu-period", "200000"}, nil,
			fileWant{"", "cpu.max", "50000 200000"}),
		updateTest(env, "update_pids_limit_test", v2pids, nil, []string{"--pids-limit", "123"}, nil, fileWant{"", "pids.max", "123"}),
		updateTest(env, "cpu_burst_test", all(v2cpu, hasFile("", "cpu.max.burst")), cpuQuota, []string{"--cpu-burst", "10000"}, nil,
			fileWant{"", "cpu.max.burst", "10000"}),
		updateTest(env, "set_cpu_period_without_quota_test", v2cpu, nil, []string{"--cpu-period", "200000"}, nil, fileWant{"", "cpu.max", "max 200000"}),
		updateTest(env, "set_cpu_quota_without_period_test", v2cpu, nil, []string{"--cpu-quota", "50000"}, nil, fileWant{"", "cpu.max", "50000 100000"}),
		updateTest(env, "update_cpu_period_without_previous_limits_test", v2cpu, nil, []string{"--cpu-period", "300000"}, nil, fileWant{"", "cpu.max", "max 300000"}),
		updateTest(env, "update_cpu_quota_without_previous_limits_test", v2cpu, nil, []string{"--cpu-quota", "30000"}, nil, fileWant{"", "cpu.max", "30000 100000"}),
		updateTest(env, "update_cgroup_cpu_idle_test", all(v2cpu, hasFile("", "cpu.idle")), nil, nil,
			specs.LinuxResources{CPU: &specs.LinuxCPU{Idle: support.Ptr(int64(1))}}, fileWant{"", "cpu.idle", "1"}),
		updateTest(env, "update_cgroup_v2_resources_via_unified_map_test", v2pids, nil, nil,
			specs.LinuxResources{Unified: map[string]string{"pids.max": "42"}}, fileWant{"", "pids.max", "42"}),
		updateTest(env, "update_cpuset_parameters_via_resources_cpu_test", v2cpuset, nil, []string{"--cpuset-cpus", "0", "--cpuset-mems", "0"}, nil,
			fileWant{"", "cpuset.cpus", "0"}, fileWant{"", "cpuset.mems", "0"}),
		updateTest(env, "update_cpuset_parameters_via_v2_unified_map_test", v2cpuset, nil, nil,
			specs.LinuxResources{Unified: map[string]string{"cpuset.cpus": "0", "cpuset.mems": "0"}}, fileWant{"", "cpuset.cpus", "0"}, fileWant{"", "cpuset.mems", "0"}),
		updateTest(env, "update_cpuset_cpus_range_via_v2_unified_map_test", v2cpuset, nil, nil,
			specs.LinuxResources{Unified: map[string]string{"cpuset.cpus": "0-1"}}, fileWant{"", "cpuset.cpus", "0-1"}),
		// The same operations on cgroup v1 (not in youki: its update tests
		// are v2 only; these run on v1 and hybrid hosts).
		updateTest(env, "update_cgroup_v1_common_limits_test", v1common, nil,
			[]string{"--memory", "100M", "--pids-limit", "100", "--cpu-quota", "50000", "--cpu-period", "100000", "--cpu-share", "512"}, nil,
			fileWant{"memory", "memory.limit_in_bytes", "104857600"}, fileWant{"pids", "pids.max", "100"},
			fileWant{"cpu", "cpu.cfs_quota_us", "50000"}, fileWant{"cpu", "cpu.cfs_period_us", "100000"}, fileWant{"cpu", "cpu.shares", "512"}),
		updateTest(env, "update_cgroup_v1_resources_from_json_test", all(needV1("pids"), needV1("cpuset")), nil, nil,
			specs.LinuxResources{Pids: &specs.LinuxPids{Limit: support.Ptr(int64(77))}, CPU: &specs.LinuxCPU{Cpus: "0", Mems: "0"}},
			fileWant{"pids", "pids.max", "77"}, fileWant{"cpuset", "cpuset.cpus", "0"}),
	)
}
