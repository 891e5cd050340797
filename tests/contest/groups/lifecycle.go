package groups

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
	"github.com/gocontainer/gocontainer/tests/contest/support"
)

func lifecycleGroups(env *support.Env) []*framework.TestGroup {
	return []*framework.TestGroup{
		lifecycleGroup(env), createGroup(env), deleteGroup(env), killGroup(env),
		group("kill_no_effect", framework.NewTest("kill_no_effect_test", func(t *framework.T) framework.Result {
			return framework.FromError(killNoEffect(env, t))
		})),
		killsigGroup(env),
		group("pidfile", framework.NewTest("pidfile", func(t *framework.T) framework.Result {
			return framework.FromError(pidfile(env, t))
		})),
		group("ns_itype", framework.NewTest("ns_itype", func(t *framework.T) framework.Result {
			return framework.FromError(nsItype(env, t))
		})),
	}
}

// expectStatus fails unless the container's state says status.
func expectStatus(ctx context.Context, c *support.Container, status string) error {
	s, err := c.State(ctx)
	if err != nil {
		return err
	}
	if s.Status != status {
		return fmt.Errorf("status %q, want %q", s.Status, status)
	}
	return nil
}

// expectGone fails if the runtime still knows the container.
func expectGone(ctx context.Context, c *support.Container) error {
	if s, err := c.State(ctx); err == nil {
		return fmt.Errorf("container %s still exists (status %s)", c.ID, s.Status)
	}
	return nil
}

// lifecycleGroup is youki's ordered lifecycle: one container through
// create, start, (checkpoints), kill, state, delete.
func lifecycleGroup(env *support.Env) *framework.TestGroup {
	var (
		c     *support.Container
		owner = framework.NewT(context.Background(), "lifecycle", "container")
	)
	need := func() error {
		if c == nil {
			return errors.New("no container: lifecycle::create did not run or failed")
		}
		return nil
	}
	g := framework.NewTestGroup("lifecycle").SetOrdered()
	g.Cleanup(owner.RunCleanups)
	g.Add(framework.NewTest("create", func(t *framework.T) framework.Result {
		// The container outlives this test: its cleanup belongs to the group.
		cc, err := env.NewContainer(owner, support.DefaultSpec())
		if err != nil {
			return framework.Fail(err)
		}
		if r := cc.Create(t.Context(), nil); r.Code != 0 {
			return framework.Fail(r.Ok())
		}
		c = cc
		return framework.FromError(expectStatus(t.Context(), c, "created"))
	}))
	g.Add(framework.NewTest("start", func(t *framework.T) framework.Result {
		if err := need(); err != nil {
			return framework.Fail(err)
		}
		if r := c.Start(t.Context()); r.Code != 0 {
			return framework.Fail(r.Ok())
		}
		return framework.FromError(c.WaitStatus(t.Context(), "running"))
	}))
	for _, name := range []string{
		"checkpoint_leave_running_work_path_tmp", "checkpoint_leave_running",
		"checkpoint_manage_cgroups_mode_ignore", "checkpoint_manage_cgroups_mode_soft",
		"checkpoint_link_remap", "checkpoint_tcp_skip_in_flight", "checkpoint_with_external_namespaces",
	} {
		g.Add(framework.NewConditionalTest(name, support.CriuUsable, func(t *framework.T) framework.Result {
			if err := need(); err != nil {
				return framework.Fail(err)
			}
			return framework.FromError(lifecycleCheckpoint(env, t, c, name))
		}))
	}
	g.Add(framework.NewTest("kill", func(t *framework.T) framework.Result {
		if err := need(); err != nil {
			return framework.Fail(err)
		}
		if r := c.Kill(t.Context(), "KILL"); r.Code != 0 {
			return framework.Fail(r.Ok())
		}
		return framework.FromError(c.WaitStatus(t.Context(), "stopped"))
	}))
	g.Add(framework.NewTest("state", func(t *framework.T) framework.Result {
		if err := need(); err != nil {
			return framework.Fail(err)
		}
		s, err := c.State(t.Context())
		if err != nil {
			return framework.Fail(err)
		}
		if s.ID != c.ID || s.Status != "stopped" || s.Bundle != c.Bundle.Dir {
			return framework.Failf("state %+v, want id %s, status stopped, bundle %s", s, c.ID, c.Bundle.Dir)
		}
		return framework.Pass()
	}))
	g.Add(framework.NewTest("delete", func(t *framework.T) framework.Result {
		if err := need(); err != nil {
			return framework.Fail(err)
		}
		if r := c.Delete(t.Context(), false); r.Code != 0 {
			return framework.Fail(r.Ok())
		}
		return framework.FromError(expectGone(t.Context(), c))
	}))
	return g
}

// lifecycleCheckpoint checkpoints the running container with the flags a
// lifecycle checkpoint test names, leaving it running.
func lifecycleCheckpoint(env *support.Env, t *framework.T, c *support.Container, name string) error {
	img := filepath.Join(c.Bundle.Dir, "ckpt-"+name)
	args := []string{"checkpoint", "--leave-running", "--image-path", img}
	switch name {
	case "checkpoint_leave_running_work_path_tmp":
		args = append(args, "--work-path", filepath.Join(c.Bundle.Dir, "work-"+name))
	case "checkpoint_manage_cgroups_mode_ignore":
		args = append(args, "--manage-cgroups-mode", "ignore")
	case "checkpoint_manage_cgroups_mode_soft":
		args = append(args, "--manage-cgroups-mode", "soft")
	case "checkpoint_link_remap":
		args = append(args, "--link-remap")
	case "checkpoint_tcp_skip_in_flight":
		args = append(args, "--tcp-skip-in-flight")
	case "checkpoint_with_external_namespaces":
		// youki's case checkpoints a container of its own that joins
		// existing namespaces; the lifecycle container has none.
		return checkpointExternalNamespaces(env, t)
	}
	if r := c.Exec(t.Context(), nil, append(args, c.ID)...); r.Code != 0 {
		return r.Ok()
	}
	if _, err := os.Stat(filepath.Join(img, "inventory.img")); err != nil {
		return fmt.Errorf("checkpoint image: %w", err)
	}
	return expectStatus(t.Context(), c, "running")
}

func createGroup(env *support.Env) *framework.TestGroup {
	return group("create",
		framework.NewTest("empty_id", func(t *framework.T) framework.Result {
			c, err := env.NewContainerWithID(t, "", support.DefaultSpec())
			if err != nil {
				return framework.Fail(err)
			}
			if r := c.Create(t.Context(), nil); r.Code == 0 {
				return framework.Failf("create with an empty id succeeded")
			}
			return framework.Pass()
		}),
		framework.NewTest("valid_id", func(t *framework.T) framework.Result {
			c, err := env.NewContainer(t, support.DefaultSpec())
			if err != nil {
				return framework.Fail(err)
			}
			if r := c.Create(t.Context(), nil); r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			return framework.FromError(expectStatus(t.Context(), c, "created"))
		}),
		framework.NewTest("duplicate_id", func(t *framework.T) framework.Result {
			id := support.RandomID("dup")
			c1, err := env.NewContainerWithID(t, id, support.DefaultSpec())
			if err != nil {
				return framework.Fail(err)
			}
			if r := c1.Create(t.Context(), nil); r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			s := support.DefaultSpec()
			s.Linux.CgroupsPath = env.CgroupParent + "/" + id + "-second"
			c2, err := env.NewContainerWithID(t, id, s)
			if err != nil {
				return framework.Fail(err)
			}
			if r := c2.Create(t.Context(), nil); r.Code == 0 {
				return framework.Failf("second create with id %s succeeded", id)
			}
			// The first container must be untouched.
			st, err := c1.State(t.Context())
			if err != nil {
				return framework.Fail(err)
			}
			if st.Bundle != c1.Bundle.Dir || st.Status != "created" {
				return framework.Failf("first container changed: %+v", st)
			}
			return framework.Pass()
		}),
	)
}

// runToStopped creates and starts c running `true` and waits until it
// has stopped.
func runToStopped(ctx context.Context, c *support.Container) error {
	if r := c.Create(ctx, nil); r.Code != 0 {
		return r.Ok()
	}
	if r := c.Start(ctx); r.Code != 0 {
		return r.Ok()
	}
	return c.WaitStatus(ctx, "stopped")
}

func trueSpec() *specs.Spec {
	s := support.DefaultSpec()
	s.Process.Args = []string{"true"}
	return s
}

func deleteGroup(env *support.Env) *framework.TestGroup {
	return group("delete",
		framework.NewTest("delete_non_existed_container", func(t *framework.T) framework.Result {
			r := env.Exec(t.Context(), nil, "delete", support.RandomID("missing"))
			if r.Code == 0 {
				return framework.Failf("delete of a container that does not exist succeeded")
			}
			return framework.Pass()
		}),
		framework.NewTest("delete_created_container_test", func(t *framework.T) framework.Result {
			return framework.FromError(env.TestOutsideContainer(t, support.DefaultSpec(), func(c *support.Container, r support.CmdResult) error {
				if err := r.Ok(); err != nil {
					return err
				}
				if r := c.Delete(t.Context(), false); r.Code != 0 {
					return r.Ok()
				}
				return expectGone(t.Context(), c)
			}))
		}),
		framework.NewTest("delete_running_container_test", func(t *framework.T) framework.Result {
			return framework.FromError(env.TestOutsideContainer(t, support.DefaultSpec(), func(c *support.Container, r support.CmdResult) error {
				if err := r.Ok(); err != nil {
					return err
				}
				if r := c.Start(t.Context()); r.Code != 0 {
					return r.Ok()
				}
				if r := c.Delete(t.Context(), false); r.Code == 0 {
					return errors.New("delete of a running container without --force succeeded")
				}
				return expectStatus(t.Context(), c, "running")
			}))
		}),
		framework.NewTest("delete_stopped_container_test", func(t *framework.T) framework.Result {
			c, err := env.NewContainer(t, trueSpec())
			if err != nil {
				return framework.Fail(err)
			}
			if err := runToStopped(t.Context(), c); err != nil {
				return framework.Fail(err)
			}
			if r := c.Delete(t.Context(), false); r.Code != 0 {
				return framework.Fail(r.Ok())
			}
			return framework.FromError(expectGone(t.Context(), c))
		}),
	)
}

func killGroup(env *support.Env) *framework.TestGroup {
	return group("kill_container",
		framework.NewTest("kill_with_empty_id_test", func(t *framework.T) framework.Result {
			if r := env.Exec(t.Context(), nil, "kill", "", "KILL"); r.Code == 0 {
				return framework.Failf("kill with an empty id succeeded")
			}
			return framework.Pass()
		}),
		framework.NewTest("kill_non_existed_container", func(t *framework.T) framework.Result {
			if r := env.Exec(t.Context(), nil, "kill", support.RandomID("missing"), "KILL"); r.Code == 0 {
				return framework.Failf("kill of a container that does not exist succeeded")
			}
			return framework.Pass()
		}),
		framework.NewTest("kill_created_container_test", func(t *framework.T) framework.Result {
			return framework.FromError(env.TestOutsideContainer(t, support.DefaultSpec(), func(c *support.Container, r support.CmdResult) error {
				if err := r.Ok(); err != nil {
					return err
				}
				if r := c.Kill(t.Context(), "KILL"); r.Code != 0 {
					return r.Ok()
				}
				return c.WaitStatus(t.Context(), "stopped")
			}))
		}),
		framework.NewTest("kill_stopped_container_test", func(t *framework.T) framework.Result {
			c, err := env.NewContainer(t, trueSpec())
			if err != nil {
				return framework.Fail(err)
			}
			if err := runToStopped(t.Context(), c); err != nil {
				return framework.Fail(err)
			}
			if r := c.Kill(t.Context(), "KILL"); r.Code == 0 {
				return framework.Failf("kill of a stopped container succeeded")
			}
			return framework.Pass()
		}),
		framework.NewTest("kill_start_container_test", func(t *framework.T) framework.Result {
			return framework.FromError(env.TestOutsideContainer(t, support.DefaultSpec(), func(c *support.Container, r support.CmdResult) error {
				if err := r.Ok(); err != nil {
					return err
				}
				if r := c.Start(t.Context()); r.Code != 0 {
					return r.Ok()
				}
				if r := c.Kill(t.Context(), "KILL"); r.Code != 0 {
					return r.Ok()
				}
				return c.WaitStatus(t.Context(), "stopped")
			}))
		}),
	)
}

// killNoEffect: kill of a stopped container fails and changes nothing.
func killNoEffect(env *support.Env, t *framework.T) error {
	c, err := env.NewContainer(t, trueSpec())
	if err != nil {
		return err
	}
	if err := runToStopped(t.Context(), c); err != nil {
		return err
	}
	before, err := c.State(t.Context())
	if err != nil {
		return err
	}
	if r := c.Kill(t.Context(), "TERM"); r.Code == 0 {
		return errors.New("kill of a stopped container succeeded")
	}
	after, err := c.State(t.Context())
	if err != nil {
		return err
	}
	if after.Status != before.Status || after.Pid != before.Pid {
		return fmt.Errorf("state changed by a failed kill: %+v -> %+v", before, after)
	}
	return nil
}

// killsigGroup: the named signal reaches the container process, which
// traps it and leaves a file.
func killsigGroup(env *support.Env) *framework.TestGroup {
	g := framework.NewTestGroup("killsig")
	for _, sig := range []string{"TERM", "USR1", "USR2"} {
		g.Add(framework.NewTest("killsig_"+sig, func(t *framework.T) framework.Result {
			s := support.DefaultSpec()
			s.Process.Args = []string{"sh", "-c", fmt.Sprintf(
				"trap 'touch /tmp/got-%s; exit 0' %s; touch /tmp/ready; while :; do sleep 0.05; done", sig, sig)}
			return framework.FromError(env.TestOutsideContainer(t, s, func(c *support.Container, r support.CmdResult) error {
				if err := r.Ok(); err != nil {
					return err
				}
				if r := c.Start(t.Context()); r.Code != 0 {
					return r.Ok()
				}
				tmp := filepath.Join(c.Bundle.Rootfs(), "tmp")
				if err := waitFile(t.Context(), filepath.Join(tmp, "ready")); err != nil {
					return err
				}
				if r := c.Kill(t.Context(), sig); r.Code != 0 {
					return r.Ok()
				}
				if err := waitFile(t.Context(), filepath.Join(tmp, "got-"+sig)); err != nil {
					return fmt.Errorf("SIG%s not delivered: %w", sig, err)
				}
				return c.WaitStatus(t.Context(), "stopped")
			}))
		}))
	}
	return g
}

// waitFile polls until path exists.
func waitFile(ctx context.Context, path string) error {
	return support.Poll(ctx, 10*time.Second, "file "+path, func() (bool, string, error) {
		_, err := os.Stat(path)
		return err == nil, fmt.Sprint(err), nil
	})
}

func pidfile(env *support.Env, t *framework.T) error {
	c, err := env.NewContainer(t, support.DefaultSpec())
	if err != nil {
		return err
	}
	pf := filepath.Join(c.Bundle.Dir, "pidfile")
	if r := c.Create(t.Context(), nil, "--pid-file", pf); r.Code != 0 {
		return r.Ok()
	}
	data, err := os.ReadFile(pf)
	if err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return fmt.Errorf("pid file %q: %w", data, err)
	}
	s, err := c.State(t.Context())
	if err != nil {
		return err
	}
	if pid != s.Pid || pid <= 0 {
		return fmt.Errorf("pid file says %d, state says %d", pid, s.Pid)
	}
	return nil
}

// nsItype: namespaces the config does not ask for are the host's.
func nsItype(env *support.Env, t *framework.T) error {
	s := support.DefaultSpec()
	s.Linux.Namespaces = []specs.LinuxNamespace{{Type: specs.MountNamespace}}
	s.Hostname = ""
	// sysfs and cgroupfs cannot be mounted fresh without a new net ns.
	var ms []specs.Mount
	for _, m := range s.Mounts {
		if m.Destination != "/sys" && m.Destination != "/sys/fs/cgroup" {
			ms = append(ms, m)
		}
	}
	s.Mounts = ms
	return env.TestOutsideContainer(t, s, func(c *support.Container, r support.CmdResult) error {
		if err := r.Ok(); err != nil {
			return err
		}
		st, err := c.State(t.Context())
		if err != nil {
			return err
		}
		var errs []error
		for _, ns := range []string{"net", "ipc", "uts", "pid", "cgroup"} {
			host, err1 := os.Readlink("/proc/self/ns/" + ns)
			ctr, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", st.Pid, ns))
			if err := errors.Join(err1, err2); err != nil {
				errs = append(errs, err)
			} else if host != ctr {
				errs = append(errs, fmt.Errorf("%s namespace %s, want the host's %s", ns, ctr, host))
			}
		}
		host, _ := os.Readlink("/proc/self/ns/mnt")
		if ctr, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", st.Pid)); ctr == host {
			errs = append(errs, errors.New("mount namespace is the host's, want a new one"))
		}
		return errors.Join(errs...)
	})
}
