package groups

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
	"github.com/gocontainer/gocontainer/tests/contest/support"
)

// ckpt describes one checkpoint_restore test: extra checkpoint and restore
// flags, and what to check after the restore.
type ckpt struct {
	name        string
	ckptArgs    []string
	restoreArgs []string
	preDump     bool
	badParent   bool
	newCgroup   bool
	execAfter   bool
}

// checkpointGroups ports runc's checkpoint.bats cases youki runs (they
// need a criu that works with the kernel; `criu check` decides).
func checkpointGroups(env *support.Env) []*framework.TestGroup {
	cases := []ckpt{
		{name: "checkpoint_and_restore"},
		{name: "checkpoint_and_restore_with_debug", ckptArgs: []string{"--debug"}},
		{name: "checkpoint_and_restore_with_link_remap", ckptArgs: []string{"--link-remap"}},
		{name: "checkpoint_pre_dump_bad_parent_path", preDump: true, badParent: true},
		{name: "checkpoint_pre_dump_and_restore", preDump: true},
		{name: "checkpoint_then_restore_into_a_different_cgroup", newCgroup: true},
		{name: "checkpoint_and_restore_and_exec", execAfter: true},
	}
	g := framework.NewTestGroup("checkpoint_restore").SetNonParallel()
	for _, k := range cases {
		cond := support.CriuUsable
		if k.preDump && !k.badParent {
			// A failing pre-dump is what the bad-parent case expects
			// anyway; a successful one needs the kernel feature.
			cond = support.CriuPreDumpUsable
		}
		g.Add(framework.NewConditionalTest(k.name, cond, func(t *framework.T) framework.Result {
			return framework.FromError(checkpointRestore(env, t, k))
		}))
	}
	return []*framework.TestGroup{g}
}

func checkpointRestore(env *support.Env, t *framework.T, k ckpt) error {
	s := support.DefaultSpec()
	c, err := running(env, t, s)
	if err != nil {
		return err
	}
	ctx := t.Context()
	img := filepath.Join(c.Bundle.Dir, "image")
	args := []string{"checkpoint", "--image-path", img}
	if k.preDump {
		parent := filepath.Join(c.Bundle.Dir, "parent")
		if k.badParent {
			r := c.Exec(ctx, nil, "checkpoint", "--image-path", img, "--parent-path", "/nonexistent/parent", c.ID)
			if r.Code == 0 {
				return errors.New("checkpoint with a bad --parent-path succeeded")
			}
			return expectStatus(ctx, c, "running")
		}
		if r := c.Exec(ctx, nil, "checkpoint", "--pre-dump", "--image-path", parent, c.ID); r.Code != 0 {
			return r.Ok()
		}
		if err := expectStatus(ctx, c, "running"); err != nil {
			return fmt.Errorf("after pre-dump: %w", err)
		}
		args = append(args, "--parent-path", "../parent")
	}
	args = append(append(args, k.ckptArgs...), c.ID)
	if r := c.Exec(ctx, nil, args...); r.Code != 0 {
		return r.Ok()
	}
	if _, err := os.Stat(filepath.Join(img, "inventory.img")); err != nil {
		return fmt.Errorf("checkpoint image: %w", err)
	}
	if err := expectGone(ctx, c); err != nil {
		return fmt.Errorf("after checkpoint: %w", err)
	}
	if k.newCgroup {
		c.Bundle.Spec.Linux.CgroupsPath = env.CgroupParent + "/" + c.ID + "-restored"
		cg := c.Bundle.Spec.Linux.CgroupsPath
		// Cleanups run last first: this one runs before the container's
		// own, so it deletes the restored container before removing the
		// cgroup it lives in.
		t.Cleanup(func() error {
			if _, err := c.State(context.Background()); err == nil {
				if r := c.Delete(context.Background(), true); r.Code != 0 {
					return r.Ok()
				}
			}
			return support.RemoveCgroup(cg)
		})
		if err := c.Bundle.WriteSpec(); err != nil {
			return err
		}
	}
	restore := append([]string{"restore", "--detach", "--image-path", img, "--bundle", c.Bundle.Dir}, k.restoreArgs...)
	if r := c.Exec(ctx, nil, append(restore, c.ID)...); r.Code != 0 {
		return r.Ok()
	}
	if err := expectStatus(ctx, c, "running"); err != nil {
		return fmt.Errorf("after restore: %w", err)
	}
	if k.execAfter {
		if r := execIn(t, c, nil, nil, "true"); r.Code != 0 {
			return fmt.Errorf("exec after restore: %w", r.Ok())
		}
	}
	return nil
}

// checkpointExternalNamespaces is youki's checkpoint_with_external_namespaces:
// a container that joins a named network namespace (ip netns add) and the
// runner's own PID namespace is checkpointed with --leave-running, and
// CRIU's images must record both as external (runc's keys extRootNetNS and
// extRootPidNS), so that a restore takes them from the caller.
func checkpointExternalNamespaces(env *support.Env, t *framework.T) error {
	ctx := t.Context()
	netns := fmt.Sprintf("gc-ckpt-%d", os.Getpid())
	if out, err := exec.CommandContext(ctx, "ip", "netns", "add", netns).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add %s: %v: %s", netns, err, out)
	}
	t.Cleanup(func() error { return exec.Command("ip", "netns", "del", netns).Run() })
	s := support.DefaultSpec()
	var nss []specs.LinuxNamespace
	for _, ns := range s.Linux.Namespaces {
		if ns.Type != specs.NetworkNamespace && ns.Type != specs.PIDNamespace {
			nss = append(nss, ns)
		}
	}
	s.Linux.Namespaces = append(nss,
		specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: "/var/run/netns/" + netns},
		specs.LinuxNamespace{Type: specs.PIDNamespace, Path: "/proc/self/ns/pid"})
	c, err := running(env, t, s)
	if err != nil {
		return err
	}
	img := filepath.Join(c.Bundle.Dir, "ckpt-extns")
	if r := c.Exec(ctx, nil, "checkpoint", "--leave-running", "--image-path", img, c.ID); r.Code != 0 {
		return r.Ok()
	}
	for _, key := range []string{"extRootNetNS", "extRootPidNS"} {
		found := false
		files, _ := filepath.Glob(filepath.Join(img, "*.img"))
		for _, f := range files {
			if raw, err := os.ReadFile(f); err == nil && bytes.Contains(raw, []byte(key)) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("no image in %s names %s: the namespace was not dumped as external", img, key)
		}
	}
	return expectStatus(ctx, c, "running")
}
