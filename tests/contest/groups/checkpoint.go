package groups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
		g.Add(framework.NewConditionalTest(k.name, support.CriuUsable, func(t *framework.T) framework.Result {
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
		t.Cleanup(func() error { return support.RemoveCgroup(cg) })
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
