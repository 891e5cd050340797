package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// childrenOf lists the pids whose parent is pid.
func childrenOf(pid int) []int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(data)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// TestDeleteForceCleansUpAfterCreateWasKilledAtAnyPoint kills `create`
// with SIGKILL at several points of its work (fixed delays, and points
// found by polling: its first child exists, the state dir exists), then
// requires `delete -f` to succeed (or to say the id does not exist) and
// nothing to be left: state dir, cgroup dirs, mounts, the orphaned init.
func TestDeleteForceCleansUpAfterCreateWasKilledAtAnyPoint(t *testing.T) {
	r := newRuntime(t)
	const repeats = 3
	type point struct {
		name string
		wait func(t *testing.T, createPid int, id string)
	}
	var points []point
	for _, ms := range []int{0, 1, 2, 5, 10, 20, 40, 70} {
		d := time.Duration(ms) * time.Millisecond
		// A fixed delay is the point of this case: it picks an arbitrary
		// moment of create's work, not a condition to wait for.
		points = append(points, point{name: fmt.Sprintf("after_%dms", ms), wait: func(*testing.T, int, string) { time.Sleep(d) }})
	}
	points = append(points,
		point{name: "once_the_init_child_exists", wait: func(t *testing.T, pid int, _ string) {
			eventually(t, 10*time.Second, "create's first child", func() bool { return len(childrenOf(pid)) > 0 || !pidAlive(pid) })
		}},
		point{name: "once_the_state_dir_exists", wait: func(t *testing.T, pid int, id string) {
			eventually(t, 10*time.Second, "the state dir", func() bool {
				_, err := os.Stat(filepath.Join(r.root, id))
				return err == nil || !pidAlive(pid)
			})
		}},
	)
	b := newBundle(t, baseSpec("sleep", "100"))
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			for i := range repeats {
				snap := takeSnapshot(t)
				spec := baseSpec("sleep", "100")
				cg := uniqueCgroup(t)
				spec.Linux.CgroupsPath = cg
				b.write(t, spec)
				id := fmt.Sprintf("k%d", i)
				r.deleteOnCleanup(t, id)

				ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
				cmd := r.command(ctx, "create", "--bundle", b.dir, id)
				out, err := os.Create(filepath.Join(t.TempDir(), "out"))
				require.NoError(t, err)
				cmd.Stdout, cmd.Stderr = out, out
				require.NoError(t, cmd.Start())
				p.wait(t, cmd.Process.Pid, id)
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				cancel()
				out.Close()

				res := r.run(t, "delete", "-f", id)
				if res.code != 0 {
					require.True(t, isNotExist(res.stderr), "run %d: delete -f after a killed create failed for another reason than a missing id\n%s", i, res)
					requireOneLineError(t, res, id)
				}
				r.requireNothingLeft(t, snap, id, cg)
			}
		})
	}
}

// TestLeftoverCheckSeesALiveContainer keeps the leftover check honest: a
// created container that was not deleted must show up in every category
// but mounts (its mounts live in its own mount namespace).
func TestLeftoverCheckSeesALiveContainer(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	spec := baseSpec("sleep", "100")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, "live")
	r.ok(t, "create", "--bundle", b.dir, "live")
	pid := r.mustState(t, "live").Pid
	l := r.leftovers(t, snap, "live", cg)
	require.True(t, l.stateDir, l.String())
	require.Len(t, l.cgroups, len(cgroupHierarchies()), l.String())
	require.Len(t, l.processes, 1, l.String())
	require.True(t, strings.HasPrefix(l.processes[0], strconv.Itoa(pid)+" "), "the live init %d is not the leftover process: %s", pid, l)
	r.ok(t, "delete", "-f", "live")
	r.requireNothingLeft(t, snap, "live", cg)
}
