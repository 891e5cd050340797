package groups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
	"github.com/gocontainer/gocontainer/tests/contest/support"
)

// running creates and starts a `sleep 3600` container from s.
func running(env *support.Env, t *framework.T, s *specs.Spec) (*support.Container, error) {
	c, err := env.NewContainer(t, s)
	if err != nil {
		return nil, err
	}
	if r := c.Create(t.Context(), nil); r.Code != 0 {
		return nil, r.Ok()
	}
	if r := c.Start(t.Context()); r.Code != 0 {
		return nil, r.Ok()
	}
	return c, c.WaitStatus(t.Context(), "running")
}

// execIn runs `exec [args...] ID cmd...` in c.
func execIn(t *framework.T, c *support.Container, o *support.ExecOpts, args []string, cmd ...string) support.CmdResult {
	full := append(append([]string{"exec"}, args...), c.ID)
	return c.Exec(t.Context(), o, append(full, cmd...)...)
}

// writeProcess writes p as <rootfs>/exec-process.json and returns its host
// path (for --process); runtimetest finds it through RUNTIMETEST_PROCESS.
func writeProcess(c *support.Container, p *specs.Process) (string, error) {
	p.Env = append(p.Env, "RUNTIMETEST_PROCESS=/exec-process.json")
	path := filepath.Join(c.Bundle.Rootfs(), "exec-process.json")
	return path, os.WriteFile(path, support.JSON(p), 0o644)
}

// execCheck starts a container from s and runs `runtimetest CHECK` in it
// with exec (extra exec args before the id).
func execCheck(env *support.Env, t *framework.T, s *specs.Spec, check string, args []string) error {
	c, err := running(env, t, s)
	if err != nil {
		return err
	}
	r := execIn(t, c, nil, args, "/bin/runtimetest", check)
	if r.Code != 0 {
		return r.Ok()
	}
	return support.RuntimetestVerdict(check, r.Stdout, r.Stderr)
}

// execProcessCheck runs `runtimetest CHECK` through `exec --process` with
// process p (args are set here).
func execProcessCheck(env *support.Env, t *framework.T, s *specs.Spec, p *specs.Process, check string) error {
	return execProcessCheckWith(env, t, s, p, check, nil)
}

// execProcessCheckWith is execProcessCheck where runtimetest checks
// against p as expect edits it (what the process should end up with).
func execProcessCheckWith(env *support.Env, t *framework.T, s *specs.Spec, p *specs.Process, check string, expect func(*specs.Process)) error {
	c, err := running(env, t, s)
	if err != nil {
		return err
	}
	p.Args = []string{"/bin/runtimetest", check}
	path, err := writeProcess(c, p)
	if err != nil {
		return err
	}
	if expect != nil {
		want := *p
		expect(&want)
		if err := os.WriteFile(filepath.Join(c.Bundle.Rootfs(), "exec-process.json"), support.JSON(&want), 0o644); err != nil {
			return err
		}
		// The runtime reads the original from a host copy.
		path = filepath.Join(c.Bundle.Dir, "exec-process.json")
		if err := os.WriteFile(path, support.JSON(p), 0o644); err != nil {
			return err
		}
	}
	r := execIn(t, c, nil, []string{"--process", path})
	if r.Code != 0 {
		return r.Ok()
	}
	return support.RuntimetestVerdict(check, r.Stdout, r.Stderr)
}

func baseProcess() *specs.Process {
	d := support.DefaultSpec().Process
	d.Args = nil
	return d
}

// statusField reads one field of /proc/self/status of an exec'd process.
func statusField(t *framework.T, c *support.Container, args []string, field string) (string, error) {
	r := execIn(t, c, nil, args, "cat", "/proc/self/status")
	if r.Code != 0 {
		return "", r.Ok()
	}
	for _, line := range strings.Split(r.Stdout, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == field {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("no %s in /proc/self/status", field)
}

func capBit(mask string, bit uint) (bool, error) {
	v, err := strconv.ParseUint(mask, 16, 64)
	return v&(1<<bit) != 0, err
}

const (
	capNetAdmin = 12
	capSysAdmin = 21
)

func execGroups(env *support.Env) []*framework.TestGroup {
	return []*framework.TestGroup{execGroup(env), execEnvGroup(env), execCPUAffinityGroup(env)}
}

func execGroup(env *support.Env) *framework.TestGroup {
	capsByFlag := func(name string, caps map[string]uint) *framework.Test {
		return framework.NewTest(name, func(t *framework.T) framework.Result {
			c, err := running(env, t, support.DefaultSpec())
			if err != nil {
				return framework.Fail(err)
			}
			var names, args []string
			for n := range caps {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				args = append(args, "--cap", n)
			}
			eff, err := statusField(t, c, args, "CapEff")
			if err != nil {
				return framework.Fail(err)
			}
			inh, err := statusField(t, c, args, "CapInh")
			if err != nil {
				return framework.Fail(err)
			}
			var errs []error
			for n, bit := range caps {
				if ok, _ := capBit(eff, bit); !ok {
					errs = append(errs, fmt.Errorf("exec --cap %s: CapEff %s lacks it", n, eff))
				}
				// CVE-2022-29162: --cap must not reach the inheritable set.
				if ok, _ := capBit(inh, bit); ok {
					errs = append(errs, fmt.Errorf("exec --cap %s: CapInh %s has it", n, inh))
				}
			}
			return framework.FromError(errors.Join(errs...))
		})
	}
	return group("exec",
		framework.NewTest("preserve_fds_test", func(t *framework.T) framework.Result {
			c, err := running(env, t, support.DefaultSpec())
			if err != nil {
				return framework.Fail(err)
			}
			f, err := os.CreateTemp(c.Bundle.Dir, "fd-")
			if err != nil {
				return framework.Fail(err)
			}
			defer f.Close()
			r := execIn(t, c, &support.ExecOpts{ExtraFiles: []*os.File{f}},
				[]string{"--preserve-fds", "1", "--env", "CONTEST_PRESERVED_FDS=1"}, "/bin/runtimetest", "fd_control")
			if r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			return framework.FromError(support.RuntimetestVerdict("fd_control", r.Stdout, r.Stderr))
		}),
		framework.NewTest("ignore_paused_test", func(t *framework.T) framework.Result {
			c, err := running(env, t, support.DefaultSpec())
			if err != nil {
				return framework.Fail(err)
			}
			if r := c.Exec(t.Context(), nil, "pause", c.ID); r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			if r := execIn(t, c, nil, nil, "true"); r.Code == 0 {
				return framework.Failf("exec into a paused container succeeded without --ignore-paused")
			}
			if r := c.Exec(t.Context(), nil, "resume", c.ID); r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			if r := execIn(t, c, nil, []string{"--ignore-paused"}, "true"); r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			return framework.Pass()
		}),
		framework.NewConditionalTest("cgroup_test", needV1("pids"), func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			c, err := running(env, t, s)
			if err != nil {
				return framework.Fail(err)
			}
			sub := filepath.Join(support.CgroupRoot, "pids", s.Linux.CgroupsPath, "sub")
			if err := os.Mkdir(sub, 0o755); err != nil {
				return framework.Fail(err)
			}
			r := execIn(t, c, nil, []string{"--cgroup", "pids:sub"}, "cat", "/proc/self/cgroup")
			if r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			for _, line := range strings.Split(r.Stdout, "\n") {
				if f := strings.SplitN(line, ":", 3); len(f) == 3 && f[1] == "pids" {
					if strings.HasSuffix(f[2], "/sub") {
						return framework.Pass()
					}
					return framework.Failf("exec --cgroup pids:sub: process in %s", f[2])
				}
			}
			return framework.Failf("no pids line in %q", r.Stdout)
		}),
		framework.NewTest("no_capabilities_test", func(t *framework.T) framework.Result {
			// runc's semantics: a process.json without capabilities gets the
			// container's (the spec's) sets.
			p := baseProcess()
			p.Capabilities = nil
			s := support.DefaultSpec()
			want := s.Process.Capabilities
			err := execProcessCheckWith(env, t, s, p, "process_capabilities", func(pp *specs.Process) { pp.Capabilities = want })
			return framework.FromError(err)
		}),
		framework.NewTest("unset_bounding_capabilities_test", func(t *framework.T) framework.Result {
			p := baseProcess()
			p.Capabilities = &specs.LinuxCapabilities{}
			return framework.FromError(execProcessCheck(env, t, support.DefaultSpec(), p, "process_capabilities_bounding_unset"))
		}),
		framework.NewTest("new_privileges_test", func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			s.Process.NoNewPrivileges = false
			c, err := running(env, t, s)
			if err != nil {
				return framework.Fail(err)
			}
			without, err := statusField(t, c, nil, "NoNewPrivs")
			if err != nil {
				return framework.Fail(err)
			}
			with, err := statusField(t, c, []string{"--no-new-privs"}, "NoNewPrivs")
			if err != nil {
				return framework.Fail(err)
			}
			if without != "0" || with != "1" {
				return framework.Failf("NoNewPrivs %s without and %s with --no-new-privs, want 0 and 1", without, with)
			}
			return framework.Pass()
		}),
		framework.NewTest("some_capabilities_test", func(t *framework.T) framework.Result {
			p := baseProcess()
			set := []string{"CAP_KILL", "CAP_CHOWN"}
			p.Capabilities = &specs.LinuxCapabilities{Bounding: set, Effective: set, Permitted: set}
			return framework.FromError(execProcessCheck(env, t, support.DefaultSpec(), p, "process_capabilities"))
		}),
		capsByFlag("capabilities_by_flag_test_case1", map[string]uint{"CAP_SYS_ADMIN": capSysAdmin}),
		capsByFlag("capabilities_by_flag_test_case2", map[string]uint{"CAP_SYS_ADMIN": capSysAdmin, "CAP_NET_ADMIN": capNetAdmin}),
		framework.NewTest("mount_test", func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/contest-mnt", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}})
			c, err := running(env, t, s)
			if err != nil {
				return framework.Fail(err)
			}
			r := execIn(t, c, nil, nil, "cat", "/proc/self/mountinfo")
			if r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			if !strings.Contains(r.Stdout, " /contest-mnt ") {
				return framework.Failf("exec'd process does not see the container's /contest-mnt mount")
			}
			return framework.Pass()
		}),
	)
}

// envOf runs `env` through exec and returns its lines.
func envOf(t *framework.T, c *support.Container, args []string) ([]string, error) {
	r := execIn(t, c, nil, args, "env")
	if r.Code != 0 {
		return nil, r.Ok()
	}
	return strings.Split(strings.TrimSpace(r.Stdout), "\n"), nil
}

func execEnvGroup(env *support.Env) *framework.TestGroup {
	mk := func(name string, run func(t *framework.T, c *support.Container) ([]string, error), want, notWant []string) *framework.Test {
		return framework.NewTest(name, func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			s.Process.Env = append(s.Process.Env, "CONTEST_SPEC=spec")
			c, err := running(env, t, s)
			if err != nil {
				return framework.Fail(err)
			}
			got, err := run(t, c)
			if err != nil {
				return framework.Fail(err)
			}
			var errs []error
			for _, w := range want {
				if !slices.Contains(got, w) {
					errs = append(errs, fmt.Errorf("exec env lacks %q: %q", w, got))
				}
			}
			for _, w := range notWant {
				if slices.Contains(got, w) {
					errs = append(errs, fmt.Errorf("exec env has %q: %q", w, got))
				}
			}
			return framework.FromError(errors.Join(errs...))
		})
	}
	plain := func(args ...string) func(*framework.T, *support.Container) ([]string, error) {
		return func(t *framework.T, c *support.Container) ([]string, error) { return envOf(t, c, args) }
	}
	return group("exec_env",
		mk("test_exec_inherits_spec_env", plain(), []string{"CONTEST_SPEC=spec"}, nil),
		mk("test_cli_env_overrides_spec", plain("--env", "CONTEST_SPEC=cli"), []string{"CONTEST_SPEC=cli"}, []string{"CONTEST_SPEC=spec"}),
		mk("test_cli_env_adds_new_var", plain("--env", "CONTEST_NEW=new"), []string{"CONTEST_SPEC=spec", "CONTEST_NEW=new"}, nil),
		mk("test_env_from_process_json", func(t *framework.T, c *support.Container) ([]string, error) {
			p := baseProcess()
			p.Args = []string{"env"}
			p.Env = []string{"PATH=/bin:/usr/bin", "CONTEST_PJ=from-process-json"}
			path, err := writeProcess(c, p)
			if err != nil {
				return nil, err
			}
			return envOf(t, c, []string{"--process", path})
		}, []string{"CONTEST_PJ=from-process-json"}, []string{"CONTEST_SPEC=spec"}),
	)
}

func execCPUAffinityGroup(env *support.Env) *framework.TestGroup {
	twoCPUs := func() (bool, string) {
		if runtime.NumCPU() >= 2 {
			return true, ""
		}
		return false, "needs at least 2 CPUs"
	}
	allCPUs := fmt.Sprintf("0-%d", runtime.NumCPU()-1)
	affinity := func(t *framework.T, c *support.Container, args []string) (string, error) {
		r := execIn(t, c, nil, args, "grep", "Cpus_allowed_list", "/proc/self/status")
		if r.Code != 0 {
			return "", r.Ok()
		}
		_, v, _ := strings.Cut(r.Stdout, ":")
		return strings.TrimSpace(v), nil
	}
	mk := func(name string, specAff, procAff *specs.CPUAffinity, want string) *framework.ConditionalTest {
		return framework.NewConditionalTest(name, twoCPUs, func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			s.Process.ExecCPUAffinity = specAff
			c, err := running(env, t, s)
			if err != nil {
				return framework.Fail(err)
			}
			var args []string
			if procAff != nil {
				p := baseProcess()
				p.Args = []string{"grep", "Cpus_allowed_list", "/proc/self/status"}
				p.ExecCPUAffinity = procAff
				path, err := writeProcess(c, p)
				if err != nil {
					return framework.Fail(err)
				}
				r := execIn(t, c, nil, []string{"--process", path})
				if r.Code != 0 {
					return framework.Fail(r.Ok())
				}
				_, v, _ := strings.Cut(r.Stdout, ":")
				if got := strings.TrimSpace(v); got != want {
					return framework.Failf("exec'd process CPUs %q, want %q", got, want)
				}
				return framework.Pass()
			}
			got, err := affinity(t, c, args)
			if err != nil {
				return framework.Fail(err)
			}
			if got != want {
				return framework.Failf("exec'd process CPUs %q, want %q", got, want)
			}
			return framework.Pass()
		})
	}
	return group("exec_cpu_affinity",
		// Only the initial affinity: it covers the runtime's setup; joining
		// the cgroup resets the process to the cgroup's CPUs.
		mk("test_cpu_affinity_only_initial_set_from_process_json", nil, &specs.CPUAffinity{Initial: "0"}, allCPUs),
		mk("test_cpu_affinity_initial_and_final_set_from_process_json", nil, &specs.CPUAffinity{Initial: "0", Final: "1"}, "1"),
		mk("test_cpu_affinity_from_config_json", &specs.CPUAffinity{Initial: "0", Final: "1"}, nil, "1"),
	)
}
