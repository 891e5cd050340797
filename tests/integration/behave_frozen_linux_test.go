package integration

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func (r *rt) runBounded(t *testing.T, timeout time.Duration, args ...string) (result, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := r.command(ctx, args...)
	cmd.WaitDelay = time.Second
	dir := t.TempDir()
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	require.NoError(t, err)
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	require.NoError(t, err)
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	res := result{stdout: readFile(t, stdout.Name()), stderr: readFile(t, stderr.Name()), code: exitCode(err)}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %s: %v", r.bin, strings.Join(args, " "), err)
	}
	return res, ctx.Err() != nil
}

func freezeCgroup(t *testing.T, cgPath string) {
	t.Helper()
	if fi, err := os.Stat("/sys/fs/cgroup/freezer"); err == nil && fi.IsDir() {
		dir := filepath.Join("/sys/fs/cgroup/freezer", cgPath)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		t.Cleanup(func() { thawAndKill(t, dir, "freezer.state", "THAWED") })
		require.NoError(t, os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("FROZEN"), 0))
		return
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.subtree_control"); err == nil {
		dir := filepath.Join("/sys/fs/cgroup", cgPath)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		t.Cleanup(func() { thawAndKill(t, dir, "cgroup.freeze", "0") })
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup.freeze"), []byte("1"), 0))
		return
	}
	t.Skip("the host has no cgroup freezer")
}

func thawAndKill(t *testing.T, dir, file, thawed string) {
	_ = os.WriteFile(filepath.Join(dir, file), []byte(thawed), 0)
	data, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	for _, f := range strings.Fields(string(data)) {
		_ = exec.Command("kill", "-9", f).Run()
	}
	eventually(t, 5*time.Second, "frozen cgroup emptied", func() bool {
		data, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		reapZombies()
		return strings.TrimSpace(string(data)) == ""
	})
}

func TestCreateRefusesAFrozenCgroupInsteadOfHanging(t *testing.T) {
	skipUnderSystemd(t, "the test makes and freezes the cgroup itself before create; systemd makes a scope's cgroup when it starts the unit, so there is no user-made cgroup to find frozen")
	r := newRuntime(t)
	for _, cmd := range []string{"create", "run"} {
		t.Run(cmd, func(t *testing.T) {
			snap := takeSnapshot(t)
			cg := uniqueCgroup(t)
			freezeCgroup(t, cg)
			spec := baseSpec("true")
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			id := "frozen-" + cmd
			r.deleteOnCleanup(t, id)
			res, timedOut := r.runBounded(t, 10*time.Second, cmd, "--bundle", b.dir, id)
			require.False(t, timedOut, "%s into a frozen cgroup hung\n%s", cmd, res)
			requireOneLineError(t, res, "frozen")
			// The frozen cgroup is the user's: it stays, nothing else does.
			require.Empty(t, r.leftovers(t, snap, id, "", 0).processes)
			_, st := r.state(t, id)
			require.NotEqual(t, 0, st.code, "a container was left: %s", st)
		})
	}
}
