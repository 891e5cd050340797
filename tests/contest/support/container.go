package support

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
)

// StopTimeout bounds waiting for a container to reach a state.
const StopTimeout = 20 * time.Second

// Bundle is a bundle directory: config.json plus a rootfs hard-linked from
// the base rootfs, with runtimetest at /bin/runtimetest and the config
// also at /config.json inside the rootfs (runtimetest reads it there).
type Bundle struct {
	Dir  string
	Spec *specs.Spec
}

// Rootfs is the bundle's rootfs directory.
func (b *Bundle) Rootfs() string { return filepath.Join(b.Dir, "rootfs") }

// WriteSpec (re)writes config.json in the bundle and in the rootfs.
func (b *Bundle) WriteSpec() error {
	data := JSON(b.Spec)
	if err := os.WriteFile(filepath.Join(b.Dir, "config.json"), data, 0o644); err != nil {
		return fmt.Errorf("write config.json: %w", err)
	}
	// A fresh file rather than a write through a hard link.
	p := filepath.Join(b.Rootfs(), "config.json")
	_ = os.Remove(p)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("write rootfs config.json: %w", err)
	}
	return nil
}

// NewBundle makes a bundle for spec under the work dir; t's cleanup removes it.
func (e *Env) NewBundle(t *framework.T, spec *specs.Spec) (*Bundle, error) {
	if err := os.MkdirAll(filepath.Join(e.WorkDir, "bundles"), 0o755); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(filepath.Join(e.WorkDir, "bundles"), "b-")
	if err != nil {
		return nil, fmt.Errorf("make bundle dir: %w", err)
	}
	t.Cleanup(func() error { return os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	b := &Bundle{Dir: dir, Spec: spec}
	// Hard links: a bundle costs a directory tree, not a copy of busybox.
	// Tests only add files to the rootfs; none rewrites a linked one.
	if out, err := exec.Command("cp", "-a", "--link", e.Rootfs, b.Rootfs()).CombinedOutput(); err != nil {
		// Across filesystems every link fails but cp has made the
		// directories: start again, or the copy lands in rootfs/rootfs.
		if err := os.RemoveAll(b.Rootfs()); err != nil {
			return nil, fmt.Errorf("copy rootfs: %w", err)
		}
		if out2, err2 := exec.Command("cp", "-a", e.Rootfs, b.Rootfs()).CombinedOutput(); err2 != nil {
			return nil, fmt.Errorf("copy rootfs: %v: %s / %v: %s", err, out, err2, out2)
		}
	}
	rt := filepath.Join(b.Rootfs(), "bin", "runtimetest")
	if err := os.Link(e.RuntimeTest, rt); err != nil {
		if out, err := exec.Command("cp", e.RuntimeTest, rt).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("copy runtimetest: %v: %s", err, out)
		}
	}
	if err := b.WriteSpec(); err != nil {
		return nil, err
	}
	return b, nil
}

// Container is one container of the runtime under test.
type Container struct {
	ID     string
	Bundle *Bundle
	env    *Env
}

// NewContainer makes a bundle for spec and registers, on t, the cleanup
// that force-deletes the container and removes its cgroup whatever the
// test did. An empty cgroupsPath becomes CgroupParent/ID, so that every
// cgroup of the run lives under one tree.
func (e *Env) NewContainer(t *framework.T, spec *specs.Spec) (*Container, error) {
	return e.NewContainerWithID(t, RandomID("ct"), spec)
}

// NewContainerWithID is NewContainer with a chosen id.
func (e *Env) NewContainerWithID(t *framework.T, id string, spec *specs.Spec) (*Container, error) {
	if spec.Linux != nil && spec.Linux.CgroupsPath == "" {
		// Never the parent itself (an empty or odd id), always a leaf of it.
		leaf := strings.NewReplacer("/", "_", ".", "_").Replace(id)
		if leaf == "" {
			leaf = RandomID("noid")
		}
		spec.Linux.CgroupsPath = e.CgroupParent + "/" + leaf
		if SystemdDriver() {
			// The scope contest-<pid>-<leaf>.scope in system.slice.
			spec.Linux.CgroupsPath = "system.slice:" + strings.TrimPrefix(e.CgroupParent, "/") + ":" + leaf
		}
	}
	b, err := e.NewBundle(t, spec)
	if err != nil {
		return nil, err
	}
	c := &Container{ID: id, Bundle: b, env: e}
	cgPath := ""
	if spec.Linux != nil && strings.HasPrefix(spec.Linux.CgroupsPath, "/") {
		cgPath = spec.Linux.CgroupsPath
	}
	if spec.Linux != nil && SystemdDriver() && strings.Count(spec.Linux.CgroupsPath, ":") == 2 {
		cgPath = CgroupDir(spec.Linux.CgroupsPath)
	}
	t.Cleanup(func() error { return c.remove(cgPath) })
	return c, nil
}

// remove force-deletes the container if the runtime still knows it and
// removes its cgroup directories.
func (c *Container) remove(cgPath string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	var errs []error
	if id := c.ID; id != "" && !strings.Contains(id, "/") && id != "." && id != ".." {
		if st := c.env.Exec(ctx, nil, "state", id); st.Code == 0 {
			if r := c.env.Exec(ctx, nil, "delete", "--force", id); r.Code != 0 {
				errs = append(errs, fmt.Errorf("cleanup: %s", r))
			} else if st := c.env.Exec(ctx, nil, "state", id); st.Code == 0 {
				errs = append(errs, fmt.Errorf("cleanup: container %s still exists after delete --force", id))
			}
		}
	}
	if cgPath != "" && SystemdDriver() && strings.HasSuffix(cgPath, ".scope") {
		// A scope a failed test left: stopping the unit removes its cgroup.
		_ = exec.CommandContext(ctx, "systemctl", "stop", "--quiet", filepath.Base(cgPath)).Run()
	}
	if cgPath != "" {
		if err := RemoveCgroup(cgPath); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Create runs `create --bundle DIR [extra...] ID`.
func (c *Container) Create(ctx context.Context, o *ExecOpts, extra ...string) CmdResult {
	args := append([]string{"create", "--bundle", c.Bundle.Dir}, extra...)
	return c.env.Exec(ctx, o, append(args, c.ID)...)
}

// Start runs `start ID`.
func (c *Container) Start(ctx context.Context) CmdResult { return c.env.Exec(ctx, nil, "start", c.ID) }

// Kill runs `kill ID SIGNAL`.
func (c *Container) Kill(ctx context.Context, sig string) CmdResult {
	return c.env.Exec(ctx, nil, "kill", c.ID, sig)
}

// Delete runs `delete [--force] ID`.
func (c *Container) Delete(ctx context.Context, force bool) CmdResult {
	if force {
		return c.env.Exec(ctx, nil, "delete", "--force", c.ID)
	}
	return c.env.Exec(ctx, nil, "delete", c.ID)
}

// Exec runs any runtime subcommand.
func (c *Container) Exec(ctx context.Context, o *ExecOpts, args ...string) CmdResult {
	return c.env.Exec(ctx, o, args...)
}

// State runs `state ID` and parses it.
func (c *Container) State(ctx context.Context) (State, error) {
	return c.env.State(ctx, c.ID)
}

// State runs `state ID` and parses it.
func (e *Env) State(ctx context.Context, id string) (State, error) {
	r := e.Exec(ctx, nil, "state", id)
	if r.Code != 0 {
		return State{}, errors.New(r.String())
	}
	var s State
	if err := json.Unmarshal([]byte(r.Stdout), &s); err != nil {
		return State{}, fmt.Errorf("parse state of %s: %w: %q", id, err, r.Stdout)
	}
	return s, nil
}

// WaitStatus polls `state` until the container reports status.
func (c *Container) WaitStatus(ctx context.Context, status string) error {
	return Poll(ctx, StopTimeout, fmt.Sprintf("container %s status %s", c.ID, status), func() (bool, string, error) {
		s, err := c.State(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		return s.Status == status, "status " + s.Status, nil
	})
}

// InsideOpts tunes TestInsideContainer.
type InsideOpts struct {
	CreateArgs []string   // e.g. --no-pivot
	ExtraFiles []*os.File // inherited by create (for --preserve-fds)
	Setup      func(*Bundle) error
	// KeepArgs runs spec.Process.Args instead of `runtimetest CHECK`.
	KeepArgs bool
}

// TestInsideContainer runs `runtimetest CHECK` as the container process:
// create (stdout and stderr to files, which the container inherits),
// start, wait until stopped; runtimetest's verdict is its stderr, which
// must be empty, and its stdout, which must carry its "ok" line (so a
// container that never ran the check cannot pass).
func (e *Env) TestInsideContainer(t *framework.T, spec *specs.Spec, check string, o *InsideOpts) error {
	if o == nil {
		o = &InsideOpts{}
	}
	if !o.KeepArgs {
		spec.Process.Args = []string{"/bin/runtimetest", check}
	}
	spec.Process.Terminal = false
	c, err := e.NewContainer(t, spec)
	if err != nil {
		return err
	}
	if o.Setup != nil {
		if err := o.Setup(c.Bundle); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
		if err := c.Bundle.WriteSpec(); err != nil {
			return err
		}
	}
	stdout, stderr, err := c.RunToCompletion(t.Context(), o.CreateArgs, o.ExtraFiles)
	if err != nil {
		return err
	}
	return RuntimetestVerdict(check, stdout, stderr)
}

// RuntimetestVerdict fails on anything runtimetest wrote to stderr, or on
// a missing "ok" line on stdout.
func RuntimetestVerdict(check, stdout, stderr string) error {
	if s := strings.TrimSpace(stderr); s != "" {
		return fmt.Errorf("runtimetest %s: %s", check, s)
	}
	if !strings.Contains(stdout, "runtimetest: "+check+": ok") {
		return fmt.Errorf("runtimetest %s did not report ok (did it run?); stdout %q", check, stdout)
	}
	return nil
}

// RunToCompletion creates and starts c with its stdio in files, waits
// until it has stopped and returns what it wrote. The runtime's own create
// output lands in the same files, as with youki's harness.
func (c *Container) RunToCompletion(ctx context.Context, createArgs []string, extra []*os.File) (string, string, error) {
	outF, err := os.CreateTemp(c.Bundle.Dir, "stdout-")
	if err != nil {
		return "", "", err
	}
	defer outF.Close()
	errF, err := os.CreateTemp(c.Bundle.Dir, "stderr-")
	if err != nil {
		return "", "", err
	}
	defer errF.Close()
	r := c.Create(ctx, &ExecOpts{Stdout: outF, Stderr: errF, ExtraFiles: extra}, createArgs...)
	readBack := func() (string, string) {
		o, _ := os.ReadFile(outF.Name())
		e, _ := os.ReadFile(errF.Name())
		return string(o), string(e)
	}
	if r.Code != 0 {
		_, stderr := readBack()
		return "", "", fmt.Errorf("create: exit %d: %s", r.Code, strings.TrimSpace(stderr))
	}
	if r := c.Start(ctx); r.Code != 0 {
		return "", "", fmt.Errorf("start: %s", r)
	}
	if err := c.WaitStatus(ctx, "stopped"); err != nil {
		return "", "", err
	}
	stdout, stderr := readBack()
	return stdout, stderr, nil
}

// TestOutsideContainer creates a container from spec (its process as
// given, `sleep 3600` by default) and hands it and the create result to
// fn; the cleanup registered by NewContainer kills and deletes it.
func (e *Env) TestOutsideContainer(t *framework.T, spec *specs.Spec, fn func(c *Container, created CmdResult) error) error {
	c, err := e.NewContainer(t, spec)
	if err != nil {
		return err
	}
	return fn(c, c.Create(t.Context(), nil))
}
