package groups

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
	"github.com/gocontainer/gocontainer/tests/contest/support"
)

// fileWant is one cgroup file of the container's cgroup and its expected
// (trimmed) content; root is the hierarchy ("pids" for
// /sys/fs/cgroup/pids, "" for the cgroup2 root).
type fileWant struct {
	root, file, want string
}

func hierarchy(root string) string {
	if root == "" {
		return support.UnifiedRoot()
	}
	return filepath.Join(support.CgroupRoot, root)
}

func checkFiles(cgPath string, wants []fileWant) error {
	var errs []error
	for _, w := range wants {
		if err := support.CheckCgroupFile(hierarchy(w.root), cgPath, w.file, w.want); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// cgroupTest creates a container with resources set by edit and checks the
// cgroup files from the host.
func cgroupTest(env *support.Env, name string, cond func() (bool, string), edit func(*specs.LinuxResources), wants ...fileWant) *framework.ConditionalTest {
	return framework.NewConditionalTest(name, cond, func(t *framework.T) framework.Result {
		s := support.DefaultSpec()
		edit(s.Linux.Resources)
		return framework.FromError(env.TestOutsideContainer(t, s, func(c *support.Container, r support.CmdResult) error {
			if err := r.Ok(); err != nil {
				return err
			}
			return checkFiles(s.Linux.CgroupsPath, wants)
		}))
	})
}

// all combines conditions.
func all(conds ...func() (bool, string)) func() (bool, string) {
	return func() (bool, string) {
		for _, c := range conds {
			if ok, why := c(); !ok {
				return false, why
			}
		}
		return true, ""
	}
}

// hasFile is a condition: the hierarchy's root cgroup, or contest's own
// cgroup in it, has file. A cgroup v2 root has no cpu.max, cpu.idle or
// cpu.max.burst at all (they exist in child cgroups only), so the root
// alone would skip those tests on every pure v2 host.
func hasFile(root, file string) func() (bool, string) {
	return func() (bool, string) {
		h := hierarchy(root)
		if h == "" {
			return false, fmt.Sprintf("host cgroup has no %s", filepath.Join(root, file))
		}
		if support.KernelHas(filepath.Join(h, file)) {
			return true, ""
		}
		if own, err := ownCgroup(root); err == nil && support.KernelHas(filepath.Join(h, own, file)) {
			return true, ""
		}
		return false, fmt.Sprintf("host cgroup has no %s", filepath.Join(root, file))
	}
}

func cgroupGroups(env *support.Env) []*framework.TestGroup {
	pids := needV1("pids")
	return []*framework.TestGroup{
		group("cgroup_v1_pids",
			cgroupTest(env, "positive_pid_limit", pids, func(r *specs.LinuxResources) { r.Pids = &specs.LinuxPids{Limit: support.Ptr(int64(1000))} }, fileWant{"pids", "pids.max", "1000"}),
			cgroupTest(env, "zero_pid_limit", pids, func(r *specs.LinuxResources) { r.Pids = &specs.LinuxPids{Limit: support.Ptr(int64(0))} }, fileWant{"pids", "pids.max", "max"}),
			cgroupTest(env, "negative_pid_limit", pids, func(r *specs.LinuxResources) { r.Pids = &specs.LinuxPids{Limit: support.Ptr(int64(-1))} }, fileWant{"pids", "pids.max", "max"}),
		),
		cgroupV1CPUGroup(env),
		cgroupV2CPUGroup(env),
		group("cgroup_v1_memory", cgroupTest(env, "test_linux_cgroups_memory",
			all(needV1("memory"), hasFile("memory", "memory.memsw.limit_in_bytes")),
			func(r *specs.LinuxResources) {
				r.Memory = &specs.LinuxMemory{
					Limit: support.Ptr(int64(50 << 20)), Reservation: support.Ptr(int64(25 << 20)),
					Swap: support.Ptr(int64(100 << 20)), Swappiness: support.Ptr(uint64(50)),
					DisableOOMKiller: support.Ptr(true),
				}
			},
			fileWant{"memory", "memory.limit_in_bytes", fmt.Sprint(50 << 20)},
			fileWant{"memory", "memory.soft_limit_in_bytes", fmt.Sprint(25 << 20)},
			fileWant{"memory", "memory.memsw.limit_in_bytes", fmt.Sprint(100 << 20)},
			fileWant{"memory", "memory.swappiness", "50"},
		)),
		group("cgroup_v1_network", cgroupTest(env, "test_linux_cgroups_network",
			all(needV1("net_cls"), needV1("net_prio")), networkResources,
			fileWant{"net_cls", "net_cls.classid", "1048577"}, fileWant{"net_prio", "net_prio.ifpriomap", "lo 10"})),
		group("cgroup_v1_relative_network", framework.NewConditionalTest("test_linux_cgroups_relative_network",
			all(needV1("net_cls"), needV1("net_prio")), func(t *framework.T) framework.Result {
				return framework.FromError(relativeNetwork(env, t))
			})),
		blkioGroup(env),
		hugeTLBGroup(env),
		updateGroup(env),
	}
}

func networkResources(r *specs.LinuxResources) {
	r.Network = &specs.LinuxNetwork{ClassID: support.Ptr(uint32(0x100001)), Priorities: []specs.LinuxInterfacePriority{{Name: "lo", Priority: 10}}}
}

// relativeNetwork: a relative cgroupsPath lands below the caller's cgroup.
func relativeNetwork(env *support.Env, t *framework.T) error {
	s := support.DefaultSpec()
	networkResources(s.Linux.Resources)
	rel := support.RandomID("contest-rel")
	s.Linux.CgroupsPath = rel
	var errs []error
	err := env.TestOutsideContainer(t, s, func(c *support.Container, r support.CmdResult) error {
		if err := r.Ok(); err != nil {
			return err
		}
		for _, ctrl := range []string{"net_cls", "net_prio"} {
			own, err := ownCgroup(ctrl)
			if err != nil {
				return err
			}
			cg := filepath.Join(own, rel)
			t.Cleanup(func() error { return support.RemoveCgroup(cg) })
			want := map[string]string{"net_cls": "1048577", "net_prio": "lo 10"}[ctrl]
			file := map[string]string{"net_cls": "net_cls.classid", "net_prio": "net_prio.ifpriomap"}[ctrl]
			if err := support.CheckCgroupFile(hierarchy(ctrl), cg, file, want); err != nil {
				errs = append(errs, err)
			}
		}
		return nil
	})
	return errors.Join(append(errs, err)...)
}

// ownCgroup is this process's cgroup in the v1 hierarchy of ctrl.
func ownCgroup(ctrl string) (string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 && strings.Contains(","+f[1]+",", ","+ctrl+",") {
			return f[2], nil
		}
	}
	return "", fmt.Errorf("no %s line in /proc/self/cgroup", ctrl)
}

func cgroupV1CPUGroup(env *support.Env) *framework.TestGroup {
	cpu := all(needV1("cpu"), needV1("cpuset"))
	idle := all(needV1("cpu"), hasFile("cpu", "cpu.idle"))
	return group("cgroup_v1_cpu",
		cgroupTest(env, "test_linux_cgroups_cpus", cpu, func(r *specs.LinuxResources) {
			r.CPU = &specs.LinuxCPU{Shares: support.Ptr(uint64(2048)), Quota: support.Ptr(int64(200000)), Period: support.Ptr(uint64(250000)), Cpus: "0", Mems: "0"}
		},
			fileWant{"cpu", "cpu.shares", "2048"}, fileWant{"cpu", "cpu.cfs_quota_us", "200000"},
			fileWant{"cpu", "cpu.cfs_period_us", "250000"}, fileWant{"cpuset", "cpuset.cpus", "0"}, fileWant{"cpuset", "cpuset.mems", "0"}),
		cgroupTest(env, "test_empty_cpu", cpu, func(r *specs.LinuxResources) { r.CPU = &specs.LinuxCPU{} },
			fileWant{"cpu", "cpu.shares", "1024"}, fileWant{"cpu", "cpu.cfs_quota_us", "-1"}),
		cgroupTest(env, "test_cpu_idle_default", idle, func(r *specs.LinuxResources) { r.CPU = &specs.LinuxCPU{} },
			fileWant{"cpu", "cpu.idle", "0"}),
		cgroupTest(env, "test_cpu_idle_set", idle, func(r *specs.LinuxResources) { r.CPU = &specs.LinuxCPU{Idle: support.Ptr(int64(1))} },
			fileWant{"cpu", "cpu.idle", "1"}),
	)
}

// weight is runc's current cpu.shares -> cpu.weight conversion
// (opencontainers/cgroups#20, runc PR #4785; crun uses the same curve): a
// quadratic in log2(shares) through 2 -> 1, 1024 -> 100, 262144 -> 10000.
// youki's test used the old linear 1 + (shares-2)*9999/262142, which gives
// 840 for 22000 where runc and crun now write 1204.
func weight(shares uint64) string {
	if shares == 0 {
		return "100"
	}
	shares = min(max(shares, 2), 262144)
	if shares == 2 {
		return "1"
	}
	l := math.Log2(float64(shares))
	return fmt.Sprint(uint64(math.Ceil(math.Pow(10, (l*l+125*l)/612.0-7.0/34.0))))
}

func cgroupV2CPUGroup(env *support.Env) *framework.TestGroup {
	v2 := needV2("cpu")
	cpu := func(name string, c specs.LinuxCPU, wants ...fileWant) *framework.ConditionalTest {
		return cgroupTest(env, name, v2, func(r *specs.LinuxResources) { r.CPU = &c }, wants...)
	}
	u64, i64 := func(v uint64) *uint64 { return &v }, func(v int64) *int64 { return &v }
	return group("cgroup_v2_cpu",
		cpu("test_cpu_weight_valid_set", specs.LinuxCPU{Shares: u64(22000)}, fileWant{"", "cpu.weight", weight(22000)}),
		cpu("test_cpu_weight_zero_ignored", specs.LinuxCPU{Shares: u64(0)}, fileWant{"", "cpu.weight", "100"}),
		cpu("test_cpu_weight_too_high_maximum_set", specs.LinuxCPU{Shares: u64(500000)}, fileWant{"", "cpu.weight", "10000"}),
		cpu("test_cpu_quota_valid_set", specs.LinuxCPU{Quota: i64(250000)}, fileWant{"", "cpu.max", "250000 100000"}),
		cpu("test_cpu_quota_zero_default_set", specs.LinuxCPU{Quota: i64(0)}, fileWant{"", "cpu.max", "max 100000"}),
		cpu("test_cpu_quota_negative_value_default_set", specs.LinuxCPU{Quota: i64(-9999)}, fileWant{"", "cpu.max", "max 100000"}),
		cpu("test_cpu_period_valid_set", specs.LinuxCPU{Period: u64(250000)}, fileWant{"", "cpu.max", "max 250000"}),
		cpu("test_cpu_period_unspecified_unchanged", specs.LinuxCPU{Quota: i64(250000)}, fileWant{"", "cpu.max", "250000 100000"}),
		cpu("test_cpu_period_and_quota_valid_set", specs.LinuxCPU{Quota: i64(250000), Period: u64(500000)}, fileWant{"", "cpu.max", "250000 500000"}),
		cpu("test_cpu_idle_set", specs.LinuxCPU{Idle: i64(1)}, fileWant{"", "cpu.idle", "1"}),
		cpu("test_cpu_idle_default", specs.LinuxCPU{}, fileWant{"", "cpu.idle", "0"}),
	)
}

// blockDevice finds a whole disk (not loop, ram or zram) for blkio rules.
func blockDevice() (major, minor int64, ok bool) {
	ents, _ := os.ReadDir("/sys/block")
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "loop") || strings.HasPrefix(n, "ram") || strings.HasPrefix(n, "zram") {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/sys/block", n, "dev"))
		if err != nil {
			continue
		}
		if _, err := fmt.Sscanf(strings.TrimSpace(string(data)), "%d:%d", &major, &minor); err == nil {
			return major, minor, true
		}
	}
	return 0, 0, false
}

func blkioGroup(env *support.Env) *framework.TestGroup {
	haveDisk := func() (bool, string) {
		if _, _, ok := blockDevice(); ok {
			return true, ""
		}
		return false, "no whole disk in /sys/block for throttle rules"
	}
	throttle := all(needV1("blkio"), hasFile("blkio", "blkio.throttle.read_bps_device"), haveDisk)
	weighted := all(throttle, hasFile("blkio", "blkio.weight"))
	mk := func(name string, cond func() (bool, string), kb int64, withWeight bool) *framework.ConditionalTest {
		return framework.NewConditionalTest(name, cond, func(t *framework.T) framework.Result {
			major, minor, _ := blockDevice()
			s := support.DefaultSpec()
			rate := uint64(kb * 1024)
			dev := func() []specs.LinuxThrottleDevice {
				d := specs.LinuxThrottleDevice{Rate: rate}
				d.Major, d.Minor = major, minor
				return []specs.LinuxThrottleDevice{d}
			}
			s.Linux.Resources.BlockIO = &specs.LinuxBlockIO{ThrottleReadBpsDevice: dev(), ThrottleWriteBpsDevice: dev(), ThrottleReadIOPSDevice: dev(), ThrottleWriteIOPSDevice: dev()}
			line := fmt.Sprintf("%d:%d %d", major, minor, rate)
			wants := []fileWant{
				{"blkio", "blkio.throttle.read_bps_device", line}, {"blkio", "blkio.throttle.write_bps_device", line},
				{"blkio", "blkio.throttle.read_iops_device", line}, {"blkio", "blkio.throttle.write_iops_device", line},
			}
			if withWeight {
				s.Linux.Resources.BlockIO.Weight = support.Ptr(uint16(500))
				wants = append(wants, fileWant{"blkio", "blkio.weight", "500"})
			}
			return framework.FromError(env.TestOutsideContainer(t, s, func(c *support.Container, r support.CmdResult) error {
				if err := r.Ok(); err != nil {
					return err
				}
				return checkFiles(s.Linux.CgroupsPath, wants)
			}))
		})
	}
	return group("cgroup_v1_blkio",
		mk("non_empty_100kb", weighted, 100, true), mk("non_empty_200kb", weighted, 200, true),
		mk("empty_100kb", throttle, 100, false), mk("empty_200kb", throttle, 200, false),
	)
}

// hugetlbRoot is the hierarchy holding hugetlb ("hugetlb" for v1, "" for
// cgroup2), or ok false.
func hugetlbRoot() (string, bool) {
	if support.HasV1Controller("hugetlb") {
		return "hugetlb", true
	}
	if support.HasV2Controller("hugetlb") {
		return "", true
	}
	return "", false
}

func hugeTLBGroup(env *support.Env) *framework.TestGroup {
	have := func() (bool, string) {
		if _, ok := hugetlbRoot(); !ok {
			return false, "no usable hugetlb controller (neither a mounted v1 hierarchy nor in cgroup2's cgroup.controllers)"
		}
		if !support.KernelHas("/sys/kernel/mm/hugepages/hugepages-2048kB") {
			return false, "no 2MB huge pages"
		}
		return true, ""
	}
	file := func(rsvd bool) string {
		root, _ := hugetlbRoot()
		mid := ""
		if rsvd {
			mid = ".rsvd"
		}
		if root == "" {
			return "hugetlb.2MB" + mid + ".max"
		}
		return "hugetlb.2MB" + mid + ".limit_in_bytes"
	}
	valid := func(name string, cond func() (bool, string), rsvdToo bool) *framework.ConditionalTest {
		return framework.NewConditionalTest(name, cond, func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			limit := uint64(4 << 21)
			s.Linux.Resources.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: limit}}
			root, _ := hugetlbRoot()
			wants := []fileWant{{root, file(false), fmt.Sprint(limit)}}
			if rsvdToo {
				wants = append(wants, fileWant{root, file(true), fmt.Sprint(limit)})
			}
			skip := ""
			err := env.TestOutsideContainer(t, s, func(c *support.Container, r support.CmdResult) error {
				if err := r.Ok(); err != nil {
					return err
				}
				// cgroup2's root has no hugetlb files, so whether the kernel
				// has rsvd limits shows only in the container's cgroup.
				if rsvdToo && !support.KernelHas(filepath.Join(hierarchy(root), support.CgroupDir(s.Linux.CgroupsPath), file(true))) {
					skip = "kernel without hugetlb rsvd limits (no " + file(true) + ")"
					return nil
				}
				return checkFiles(s.Linux.CgroupsPath, wants)
			})
			if err == nil && skip != "" {
				return framework.Skip(skip)
			}
			return framework.FromError(err)
		})
	}
	return group("huge_tlb",
		framework.NewConditionalTest("invalid_tlb", have, func(t *framework.T) framework.Result {
			return createFails(env, "", "3MB", func(s *specs.Spec) {
				s.Linux.Resources.HugepageLimits = []specs.LinuxHugepageLimit{{Pagesize: "3MB", Limit: 1 << 22}}
			}).Run(t)
		}),
		valid("valid_tlb", have, false),
		valid("valid_rsvd_tlb", have, true),
	)
}
