package groups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
	"github.com/gocontainer/gocontainer/tests/contest/support"
)

// hostHook appends line to the host file log (hooks in the runtime's
// namespaces see host paths).
func hostHook(log, line string) specs.Hook {
	return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", fmt.Sprintf("echo %s >> %s", line, log)}}
}

// ctrHook appends line to /hooklog inside the container (createContainer
// and startContainer hooks run in the container's mount namespace).
func ctrHook(line string) specs.Hook {
	return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "echo " + line + " >> /hooklog"}}
}

func failHook() specs.Hook {
	return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "exit 1"}}
}

func readLines(path string) []string {
	data, _ := os.ReadFile(path)
	return strings.Fields(string(data))
}

func expectLines(path string, want ...string) error {
	got := readLines(path)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		return fmt.Errorf("hooks ran %q, want %q", got, want)
	}
	return nil
}

// hookContainer makes a container whose hooks (set by edit, which gets the
// host path of the shared log) log to <rootfs>/hooklog.
func hookContainer(env *support.Env, t *framework.T, s *specs.Spec, edit func(log string, h *specs.Hooks)) (*support.Container, string, error) {
	s.Hooks = &specs.Hooks{}
	c, err := env.NewContainer(t, s)
	if err != nil {
		return nil, "", err
	}
	log := filepath.Join(c.Bundle.Rootfs(), "hooklog")
	edit(log, s.Hooks)
	return c, log, c.Bundle.WriteSpec()
}

func hookGroups(env *support.Env) []*framework.TestGroup {
	return []*framework.TestGroup{
		group("hooks", framework.NewTest("hooks", func(t *framework.T) framework.Result {
			c, log, err := hookContainer(env, t, support.DefaultSpec(), func(log string, h *specs.Hooks) {
				//lint:ignore SA1019 the deprecated hook is still part of the order runtimes keep
				h.Prestart = []specs.Hook{hostHook(log, "prestart")}
				h.CreateRuntime = []specs.Hook{hostHook(log, "createRuntime")}
				// createContainer runs in the container's mount namespace but
				// before pivot_root: host paths still resolve there.
				h.CreateContainer = []specs.Hook{hostHook(log, "createContainer")}
				h.StartContainer = []specs.Hook{ctrHook("startContainer")}
				h.Poststart = []specs.Hook{hostHook(log, "poststart")}
				h.Poststop = []specs.Hook{hostHook(log, "poststop")}
			})
			if err != nil {
				return framework.Fail(err)
			}
			ctx := t.Context()
			if r := c.Create(ctx, nil); r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			if err := expectLines(log, "prestart", "createRuntime", "createContainer"); err != nil {
				return framework.Fail(fmt.Errorf("after create: %w", err))
			}
			if r := c.Start(ctx); r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			if err := expectLines(log, "prestart", "createRuntime", "createContainer", "startContainer", "poststart"); err != nil {
				return framework.Fail(fmt.Errorf("after start: %w", err))
			}
			if r := c.Kill(ctx, "KILL"); r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			if err := c.WaitStatus(ctx, "stopped"); err != nil {
				return framework.Fail(err)
			}
			if r := c.Delete(ctx, false); r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			return framework.FromError(expectLines(log, "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"))
		})),
		group("start_container_hook_env_inherit",
			framework.NewTest("start_container_env_inherit", func(t *framework.T) framework.Result {
				return framework.FromError(startContainerEnv(env, t, nil, "from-process"))
			}),
			framework.NewTest("start_container_env_explicit", func(t *framework.T) framework.Result {
				return framework.FromError(startContainerEnv(env, t, []string{"CONTEST_HOOK_ENV=from-hook", "PATH=/bin:/usr/bin"}, "from-hook"))
			}),
		),
		group("prestart", framework.NewTest("prestart", func(t *framework.T) framework.Result {
			return framework.FromError(hookSequence(env, t, "prestart", false))
		})),
		group("prestart_fail", framework.NewTest("prestart_fail", func(t *framework.T) framework.Result {
			return framework.FromError(hookSequence(env, t, "prestart", true))
		})),
		group("poststart", framework.NewTest("poststart", func(t *framework.T) framework.Result {
			return framework.FromError(hookSequence(env, t, "poststart", false))
		})),
		group("poststart_fail", framework.NewTest("poststart_fail", func(t *framework.T) framework.Result {
			return framework.FromError(hookSequence(env, t, "poststart", true))
		})),
		group("poststop", framework.NewTest("poststop", func(t *framework.T) framework.Result {
			return framework.FromError(hookSequence(env, t, "poststop", false))
		})),
		group("poststop_fail", framework.NewConditionalTest("poststop_fail",
			notRunc(env, "runc 1.1.5 stops at a failing poststop hook (runtime-spec: warn and run the rest)"), func(t *framework.T) framework.Result {
				return framework.FromError(hookSequence(env, t, "poststop", true))
			})),
		group("create_runtime", framework.NewTest("create_runtime", func(t *framework.T) framework.Result {
			return framework.FromError(createRuntime(env, t))
		})),
	}
}

// startContainerEnv: a startContainer hook without env sees the process's
// env; with env, exactly its own.
func startContainerEnv(env *support.Env, t *framework.T, hookEnv []string, want string) error {
	s := support.DefaultSpec()
	s.Process.Env = append(s.Process.Env, "CONTEST_HOOK_ENV=from-process")
	c, _, err := hookContainer(env, t, s, func(_ string, h *specs.Hooks) {
		h.StartContainer = []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", `echo "env=$CONTEST_HOOK_ENV" > /hookenv`}, Env: hookEnv}}
	})
	if err != nil {
		return err
	}
	if r := c.Create(t.Context(), nil); r.Code != 0 {
		return r.Ok()
	}
	if r := c.Start(t.Context()); r.Code != 0 {
		return r.Ok()
	}
	// start may return before the init has run the hook (runtime-spec
	// only orders it before the user process): wait for its output.
	out := filepath.Join(c.Bundle.Rootfs(), "hookenv")
	var data []byte
	err = support.Poll(t.Context(), support.StopTimeout, "startContainer hook output "+out, func() (bool, string, error) {
		var err error
		data, err = os.ReadFile(out)
		return err == nil && strings.HasSuffix(string(data), "\n"), fmt.Sprint(err), nil
	})
	if err != nil {
		return err
	}
	if got := strings.TrimSpace(string(data)); got != "env="+want {
		return fmt.Errorf("startContainer hook saw %q, want %q", got, "env="+want)
	}
	return nil
}

// hookSequence runs three hooks of one kind (the second failing when
// fail) and checks which ran and what the lifecycle command said.
func hookSequence(env *support.Env, t *framework.T, kind string, fail bool) error {
	c, log, err := hookContainer(env, t, support.DefaultSpec(), func(log string, h *specs.Hooks) {
		hs := []specs.Hook{hostHook(log, kind+"1"), hostHook(log, kind+"2"), hostHook(log, kind+"3")}
		if fail {
			hs[1] = failHook()
		}
		switch kind {
		case "prestart":
			//lint:ignore SA1019 youki's prestart groups test the deprecated hook on purpose
			h.Prestart = hs
		case "poststart":
			h.Poststart = hs
		case "poststop":
			h.Poststop = hs
		}
	})
	if err != nil {
		return err
	}
	ctx := t.Context()
	all := []string{kind + "1", kind + "2", kind + "3"}
	created := c.Create(ctx, nil)
	if kind == "prestart" {
		if !fail {
			if err := created.Ok(); err != nil {
				return err
			}
			return expectLines(log, all...)
		}
		// runtime-spec: a failing prestart hook fails create, and the
		// remaining hooks do not run.
		if created.Code == 0 {
			return errors.New("create succeeded although a prestart hook failed")
		}
		if err := expectLines(log, kind+"1"); err != nil {
			return err
		}
		if s, err := c.State(ctx); err == nil && (s.Status == "created" || s.Status == "running") {
			return fmt.Errorf("container is %s after a failed prestart hook", s.Status)
		}
		return nil
	}
	if err := created.Ok(); err != nil {
		return err
	}
	if kind == "poststart" && fail {
		// runtime-spec 1.3.0 (#1262), runc 1.1.5 and 1.2+: a failing
		// poststart hook fails start, the remaining hooks do not run and
		// the container is killed. (youki's test predates the change.)
		if r := c.Start(ctx); r.Code == 0 {
			return errors.New("start succeeded although a poststart hook failed")
		}
		if err := expectLines(log, kind+"1"); err != nil {
			return err
		}
		if err := c.WaitStatus(ctx, "stopped"); err != nil {
			return err
		}
		return c.Delete(ctx, false).Ok()
	}
	// runtime-spec: a failing poststop hook is a warning; the remaining
	// hooks and the lifecycle continue.
	ran := all
	if fail {
		ran = []string{kind + "1", kind + "3"}
	}
	if err := c.Start(ctx).Ok(); err != nil {
		return err
	}
	if kind == "poststart" {
		if err := expectLines(log, ran...); err != nil {
			return err
		}
		return expectStatus(ctx, c, "running")
	}
	if r := c.Kill(ctx, "KILL"); r.Code != 0 {
		return r.Ok()
	}
	if err := c.WaitStatus(ctx, "stopped"); err != nil {
		return err
	}
	if err := expectLines(log); err != nil {
		return fmt.Errorf("before delete: %w", err)
	}
	if err := c.Delete(ctx, false).Ok(); err != nil {
		return err
	}
	if err := expectGone(ctx, c); err != nil {
		return err
	}
	return expectLines(log, ran...)
}

// createRuntime: the hook runs during create, before start, in the
// runtime's mount namespace.
func createRuntime(env *support.Env, t *framework.T) error {
	s := support.DefaultSpec()
	c, log, err := hookContainer(env, t, s, func(log string, h *specs.Hooks) {
		h.CreateRuntime = []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "readlink /proc/self/ns/mnt >> " + log}}}
	})
	if err != nil {
		return err
	}
	if r := c.Create(t.Context(), nil); r.Code != 0 {
		return r.Ok()
	}
	host, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		return err
	}
	return expectLines(log, host)
}
