// Package support holds what contest tests share: the runtime under test,
// bundles made from the busybox rootfs with runtimetest copied in, the
// default spec, container lifecycle helpers that register their own
// cleanup, polling with deadlines, and host feature probes.
package support

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
)

// cmdTimeout bounds one runtime invocation inside a test's own deadline.
const cmdTimeout = 30 * time.Second

// Env is one contest run: the runtime, runtimetest, the base rootfs and a
// private work directory holding the runtime's --root and every bundle.
type Env struct {
	Runtime     string // absolute path of the runtime under test
	RuntimeTest string // absolute path of the static runtimetest binary
	Rootfs      string // base busybox rootfs, hard-linked into each bundle
	WorkDir     string // private; removed by Close
	Root        string // the runtime's --root, under WorkDir
	// CgroupParent is the absolute cgroupsPath prefix every container of
	// this run gets ("/contest-<pid>"), so Close can remove the whole tree.
	CgroupParent string
}

// NewEnv checks its inputs and makes the private work directory.
func NewEnv(runtime, runtimetest, rootfs string) (*Env, error) {
	var err error
	if runtime, err = resolveBinary(runtime); err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	if runtimetest, err = resolveBinary(runtimetest); err != nil {
		return nil, fmt.Errorf("runtimetest: %w", err)
	}
	if st, err := os.Stat(filepath.Join(rootfs, "bin", "busybox")); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("rootfs %s: no bin/busybox (make one with hack/mkrootfs.sh)", rootfs)
	}
	if rootfs, err = filepath.Abs(rootfs); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "contest-")
	if err != nil {
		return nil, fmt.Errorf("make work dir: %w", err)
	}
	// Containers whose root is a mapped (non-root) host uid must be able to
	// reach their bundle: traversable, not listable.
	if err := os.Chmod(work, 0o711); err != nil {
		return nil, err
	}
	e := &Env{
		Runtime: runtime, RuntimeTest: runtimetest, Rootfs: rootfs, WorkDir: work,
		Root: filepath.Join(work, "root"), CgroupParent: fmt.Sprintf("/contest-%d", os.Getpid()),
	}
	if err := os.Mkdir(e.Root, 0o700); err != nil {
		return nil, fmt.Errorf("make runtime root: %w", err)
	}
	return e, nil
}

// resolveBinary finds name (a path, or a name in PATH) and makes it
// absolute.
func resolveBinary(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return filepath.Abs(p)
}

// Close deletes whatever containers are still recorded under the run's
// root, removes the run's cgroup trees and the work directory. Each test
// cleans up after itself, so anything found here is reported as an error
// (and still removed).
func (e *Env) Close() error {
	var errs []error
	ents, _ := os.ReadDir(e.Root)
	for _, ent := range ents {
		if ent.IsDir() {
			errs = append(errs, fmt.Errorf("container %s outlived its test", ent.Name()))
			ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
			r := e.Exec(ctx, nil, "delete", "--force", ent.Name())
			cancel()
			if r.Code != 0 {
				errs = append(errs, fmt.Errorf("delete leftover container %s: %s", ent.Name(), r.Stderr))
			}
		}
	}
	for _, h := range hierarchies() {
		subs, _ := os.ReadDir(filepath.Join(h, e.CgroupParent))
		for _, s := range subs {
			if s.IsDir() {
				errs = append(errs, fmt.Errorf("cgroup %s outlived its test", filepath.Join(h, e.CgroupParent, s.Name())))
			}
		}
	}
	if SystemdDriver() {
		left, _ := filepath.Glob(filepath.Join(CgroupRoot, "system.slice", strings.TrimPrefix(e.CgroupParent, "/")+"-*.scope"))
		for _, d := range left {
			errs = append(errs, fmt.Errorf("cgroup %s outlived its test", d))
		}
	}
	if err := RemoveCgroup(e.CgroupParent); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(e.WorkDir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// IsRunc says whether the runtime under test is runc (some tests assert
// runc's documented deviations, as youki's do).
func (e *Env) IsRunc() bool { return strings.Contains(filepath.Base(e.Runtime), "runc") }

// CmdResult is one finished runtime invocation.
type CmdResult struct {
	Args           []string
	Stdout, Stderr string
	Code           int // -1 when it could not run or was killed
	Err            error
}

// String describes the invocation for error messages.
func (r CmdResult) String() string {
	s := fmt.Sprintf("%q: exit %d", r.Args, r.Code)
	if r.Err != nil && r.Code == -1 {
		s += ": " + r.Err.Error()
	}
	if out := strings.TrimSpace(r.Stderr); out != "" {
		s += ": " + out
	}
	return s
}

// Ok returns an error describing the invocation unless it exited 0.
func (r CmdResult) Ok() error {
	if r.Code != 0 {
		return errors.New(r.String())
	}
	return nil
}

// ExecOpts tunes one invocation.
type ExecOpts struct {
	Stdin          []byte
	Stdout, Stderr *os.File // files instead of captured pipes (for create)
	ExtraFiles     []*os.File
	Env            []string
}

// Exec runs `runtime --root ROOT args...` bounded by ctx and cmdTimeout.
func (e *Env) Exec(ctx context.Context, o *ExecOpts, args ...string) CmdResult {
	ctx, cancel := context.WithTimeout(ctx, cmdTimeout)
	defer cancel()
	full := append([]string{"--root", e.Root}, args...)
	cmd := exec.CommandContext(ctx, e.Runtime, full...)
	cmd.WaitDelay = 2 * time.Second
	// Files, not pipes: a container started by create (or exec -d,
	// restore -d) inherits the runtime's stdio, and a pipe would stay open
	// for as long as the container lives.
	outF, errF, err := tempPair(e.WorkDir)
	if err != nil {
		return CmdResult{Args: args, Code: -1, Err: err}
	}
	defer os.Remove(outF.Name())
	defer os.Remove(errF.Name())
	defer outF.Close()
	defer errF.Close()
	cmd.Stdout, cmd.Stderr = outF, errF
	if o != nil {
		if o.Stdin != nil {
			cmd.Stdin = bytes.NewReader(o.Stdin)
		}
		if o.Stdout != nil {
			cmd.Stdout = o.Stdout
		}
		if o.Stderr != nil {
			cmd.Stderr = o.Stderr
		}
		cmd.ExtraFiles = o.ExtraFiles
		if o.Env != nil {
			cmd.Env = o.Env
		}
	}
	err = cmd.Run()
	stdout, _ := os.ReadFile(outF.Name())
	stderr, _ := os.ReadFile(errF.Name())
	r := CmdResult{Args: args, Stdout: string(stdout), Stderr: string(stderr), Err: err}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.Code = ee.ExitCode()
	default:
		r.Code = -1
	}
	return r
}

func tempPair(dir string) (*os.File, *os.File, error) {
	a, err := os.CreateTemp(dir, "out-")
	if err != nil {
		return nil, nil, err
	}
	b, err := os.CreateTemp(dir, "err-")
	if err != nil {
		a.Close()
		os.Remove(a.Name())
		return nil, nil, err
	}
	return a, b, nil
}

// State is the subset of `state` output the tests look at.
type State struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Status      string            `json:"status"`
	Pid         int               `json:"pid"`
	Bundle      string            `json:"bundle"`
	Annotations map[string]string `json:"annotations"`
}

// RandomID returns a container id unique to this run.
func RandomID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Poll calls cond until it returns true or an error, or until timeout (or
// ctx) expires; the last reason cond gave is in the timeout error.
func Poll(ctx context.Context, timeout time.Duration, what string, cond func() (bool, string, error)) error {
	deadline := time.Now().Add(timeout)
	interval := 5 * time.Millisecond
	last := ""
	for {
		ok, why, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		last = why
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not reached after %s (last: %s)", what, timeout, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last: %s)", what, ctx.Err(), last)
		case <-time.After(interval):
		}
		if interval < 100*time.Millisecond {
			interval *= 2
		}
	}
}

// RequireOk turns an error into a failed result, or a pass.
func RequireOk(err error) framework.Result { return framework.FromError(err) }

// JSON marshals v indented (for config.json).
func JSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}
