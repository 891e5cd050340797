package groups

import (
	"fmt"

	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
	"github.com/gocontainer/gocontainer/tests/contest/support"
)

func processGroups(env *support.Env) []*framework.TestGroup {
	return []*framework.TestGroup{
		group("process", inside(env, "process_test", "process", func(s *specs.Spec) {
			s.Process.Cwd = "/tmp"
			s.Process.Env = append(s.Process.Env, "CONTEST_ENV=value with spaces", "EMPTY=")
		}, nil)),
		group("process_capabilities", inside(env, "process_capabilities_test", "process_capabilities", func(s *specs.Spec) {
			set := []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"}
			s.Process.Capabilities = &specs.LinuxCapabilities{
				Bounding: set, Effective: set, Permitted: set,
				Inheritable: []string{"CAP_KILL"}, Ambient: []string{"CAP_KILL"},
			}
		}, nil)),
		group("process_capabilities_bounding",
			inside(env, "bounding_dropped_when_unset_test", "process_capabilities_bounding_unset", func(s *specs.Spec) {
				s.Process.Capabilities = &specs.LinuxCapabilities{}
			}, nil),
			// youki expects create to fail here; runc and the kernel run the
			// process, and what must hold is that the bounding set stays
			// empty although other sets name capabilities.
			inside(env, "bounding_unset_with_other_caps_fails_test", "process_capabilities_bounding_unset", func(s *specs.Spec) {
				s.Process.Capabilities = &specs.LinuxCapabilities{Effective: []string{"CAP_SYS_ADMIN"}, Permitted: []string{"CAP_SYS_ADMIN"}}
			}, nil),
		),
		// youki expects create to fail; runtime-spec >= 1.1 and runc
		// (1.1.5+) drop an unknown capability with a warning (issue 13).
		group("process_capabilities_fail", framework.NewTest("process_capabilities_fail_test", func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			s.Process.Capabilities.Bounding = append(s.Process.Capabilities.Bounding, "CAP_TEST")
			s.Process.Capabilities.Effective = append(s.Process.Capabilities.Effective, "CAP_TEST")
			return framework.FromError(env.TestOutsideContainer(t, s, func(c *support.Container, r support.CmdResult) error {
				if r.Code != 0 {
					return fmt.Errorf("create failed on an unknown capability, want a warning: %s", r)
				}
				return errorMentions(r, "CAP_TEST")
			}))
		})),
		group("process_user",
			inside(env, "process_user_unique_gids_test", "process_user", func(s *specs.Spec) {
				s.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1001, 1002}, Umask: support.Ptr(uint32(0o027))}
			}, nil),
			inside(env, "process_user_duplicate_gids_test", "process_user", func(s *specs.Spec) {
				s.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1001, 1001, 1002, 1000}, Umask: support.Ptr(uint32(0o002))}
			}, nil),
		),
		group("process_rlimits", inside(env, "process_rlimits_test", "process_rlimits", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{
				{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 2048},
				{Type: "RLIMIT_CORE", Soft: 1 << 20, Hard: 2 << 20},
				{Type: "RLIMIT_NPROC", Soft: 1000, Hard: 2000},
				{Type: "RLIMIT_MSGQUEUE", Soft: 4096, Hard: 8192},
			}
		}, nil)),
		group("process_rlimits_fail", createFails(env, "process_rlimits_fail_test", "RLIMIT_TEST", func(s *specs.Spec) {
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_TEST", Soft: 1, Hard: 1})
		})),
		group("process_oom_score_adj", inside(env, "process_oom_score_adj", "process_oom_score_adj", func(s *specs.Spec) {
			s.Process.OOMScoreAdj = support.Ptr(500)
		}, nil)),
		fdControlGroup(env),
	}
}

// fdControlGroup: which fds the container process gets.
func fdControlGroup(env *support.Env) *framework.TestGroup {
	withFile := func(t *framework.T) (*os.File, error) {
		f, err := os.CreateTemp(env.WorkDir, "fd-")
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() error { f.Close(); return os.Remove(f.Name()) })
		return f, nil
	}
	run := func(t *framework.T, files, preserve, visible int) framework.Result {
		s := support.DefaultSpec()
		s.Process.Env = append(s.Process.Env, "CONTEST_PRESERVED_FDS="+strconv.Itoa(visible))
		o := &support.InsideOpts{}
		for range files {
			f, err := withFile(t)
			if err != nil {
				return framework.Fail(err)
			}
			o.ExtraFiles = append(o.ExtraFiles, f)
		}
		o.CreateArgs = []string{"--preserve-fds", strconv.Itoa(preserve)}
		return framework.FromError(env.TestInsideContainer(t, s, "fd_control", o))
	}
	return framework.NewTestGroup("fd_control").SetNonParallel().Add(
		// --preserve-fds larger than what is open: the runtime must not
		// invent or leak fds of its own into the gap.
		// youki passes only what is open; runc and gocontainer refuse the
		// range instead (by then a free number may hold the runtime's own
		// file). Either is safe; a refusal must say it is about the
		// preserved fds, and anything else (a leak, an obscure failure)
		// fails.
		framework.NewTest("only_stdio", func(t *framework.T) framework.Result {
			res := run(t, 0, 100, 0)
			// gocontainer: "--preserve-fds 100 ...: fd 3 ... was not passed";
			// runc: "unable to stat preserved-fd 4 (of 100)".
			if res.Status == framework.Failed && res.Err != nil && strings.Contains(res.Err.Error(), "preserve") &&
				strings.Contains(res.Err.Error(), "create") {
				return framework.Pass()
			}
			return res
		}),
		// Inherited fds without close-on-exec are closed with --preserve-fds 0.
		framework.NewTest("closes_fd", func(t *framework.T) framework.Result { return run(t, 2, 0, 0) }),
		framework.NewTest("pass_single_fd", func(t *framework.T) framework.Result { return run(t, 1, 1, 1) }),
	)
}
