package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// trapTERM runs until SIGTERM; a pid-1 shell without a trap ignores
// SIGTERM (the kernel drops signals pid 1 has no handler for), so the trap
// is what makes TERM stop the container. /ready says the trap is set:
// a TERM sent before that is lost.
var trapTERM = []string{"sh", "-c", "trap 'exit 143' TERM; touch /ready; while :; do sleep 0.05; done"}

func TestLifecycleCreateStartKillDelete(t *testing.T) {
	r := newRuntime(t)
	for _, sig := range []string{"TERM", "SIGTERM", "15", "KILL"} {
		t.Run("kill_"+sig+"_stops_the_container", func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := baseSpec(trapTERM...)
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			id := "lc" + sig
			pidFile := filepath.Join(t.TempDir(), "pid")
			r.deleteOnCleanup(t, id)

			r.ok(t, "create", "--bundle", b.dir, "--pid-file", pidFile, id)
			st := r.mustState(t, id)
			require.Equal(t, "created", st.Status)
			require.Greater(t, st.Pid, 0)
			require.Equal(t, id, st.ID)
			require.Equal(t, b.dir, st.Bundle)
			require.True(t, pidAlive(st.Pid), "init pid %d of a created container is not alive", st.Pid)

			raw, err := os.ReadFile(pidFile)
			require.NoError(t, err)
			require.NotContains(t, string(raw), "\n", "pid file must not end in a newline (containerd parses it with Atoi)")
			require.Equal(t, strconv.Itoa(st.Pid), string(raw), "pid file differs from state's pid")

			for _, d := range cgroupDirs(cg) {
				procs, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
				require.NoError(t, err, "cgroup of the created container")
				require.Contains(t, strings.Fields(string(procs)), strconv.Itoa(st.Pid), "init not in %s", d)
			}

			r.ok(t, "start", id)
			st = r.mustState(t, id)
			require.Contains(t, []string{"running", "stopped"}, st.Status)
			require.Equal(t, "running", st.Status, "a shell loop must still run right after start")

			eventually(t, 10*time.Second, "the container's TERM trap", func() bool {
				_, err := os.Stat(filepath.Join(b.rootfs, "ready"))
				return err == nil
			})
			r.ok(t, "kill", id, sig)
			r.waitStatus(t, id, "stopped")

			r.ok(t, "delete", id)
			_, err = os.Stat(filepath.Join(r.root, id))
			require.True(t, os.IsNotExist(err), "state dir %s still there after delete: %v", filepath.Join(r.root, id), err)
			_, res := r.state(t, id)
			requireOneLineError(t, res, id)
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}

func TestDeleteWithoutForceRefusesARunningContainer(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, baseSpec("sleep", "100"))
	r.deleteOnCleanup(t, "dr")
	r.ok(t, "run", "--detach", "--bundle", b.dir, "dr")
	res := r.run(t, "delete", "dr")
	requireOneLineError(t, res, "dr")
	require.Equal(t, "running", r.mustState(t, "dr").Status, "a refused delete must leave the container running")
}

func TestListShowsEveryContainerInEachFormat(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, baseSpec("sleep", "100"))
	ids := []string{"la", "lb"}
	pids := map[string]int{}
	for _, id := range ids {
		r.deleteOnCleanup(t, id)
		r.ok(t, "create", "--bundle", b.dir, id)
		pids[id] = r.mustState(t, id).Pid
	}
	r.ok(t, "start", "lb")

	t.Run("json_has_runc_fields", func(t *testing.T) {
		out := r.ok(t, "list", "--format", "json").stdout
		var list []ociState
		require.NoError(t, json.Unmarshal([]byte(out), &list), "list --format json: %s", out)
		require.Len(t, list, 2, out)
		got := map[string]ociState{}
		for _, c := range list {
			got[c.ID] = c
		}
		require.Equal(t, "created", got["la"].Status)
		require.Equal(t, "running", got["lb"].Status)
		for _, id := range ids {
			require.Equal(t, pids[id], got[id].Pid, id)
			require.Equal(t, b.dir, got[id].Bundle, id)
			require.NotEmpty(t, got[id].Created, id)
		}
	})
	t.Run("table_has_a_header_and_one_row_per_container", func(t *testing.T) {
		out := r.ok(t, "list").stdout
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Len(t, lines, 3, out)
		require.Equal(t, []string{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}, strings.Fields(lines[0]))
		rows := map[string][]string{}
		for _, l := range lines[1:] {
			f := strings.Fields(l)
			rows[f[0]] = f
		}
		require.Equal(t, []string{"la", strconv.Itoa(pids["la"]), "created", b.dir}, rows["la"][:4])
		require.Equal(t, []string{"lb", strconv.Itoa(pids["lb"]), "running", b.dir}, rows["lb"][:4])
	})
	t.Run("quiet_prints_only_ids", func(t *testing.T) {
		out := r.ok(t, "list", "--quiet").stdout
		got := strings.Fields(out)
		require.ElementsMatch(t, ids, got, out)
		require.Equal(t, "la\nlb\n", out)
	})
	t.Run("empty_root_lists_nothing", func(t *testing.T) {
		empty := &rt{bin: r.bin, root: filepath.Join(t.TempDir(), "none")}
		require.Equal(t, "", empty.ok(t, "list", "--quiet").stdout)
		var list []ociState
		out := empty.ok(t, "list", "--format", "json").stdout
		require.NoError(t, json.Unmarshal([]byte(out), &list), "list --format json on an empty root: %q", out)
		require.Empty(t, list)
	})
}

func TestLifecycleErrorsAndEdgeCases(t *testing.T) {
	r := newRuntime(t)

	t.Run("start_twice_fails_and_the_container_keeps_running", func(t *testing.T) {
		b := newBundle(t, baseSpec("sleep", "100"))
		r.deleteOnCleanup(t, "st2")
		r.ok(t, "create", "--bundle", b.dir, "st2")
		r.ok(t, "start", "st2")
		requireOneLineError(t, r.run(t, "start", "st2"), "st2")
		require.Equal(t, "running", r.mustState(t, "st2").Status)
	})

	t.Run("delete_without_force_removes_a_created_container", func(t *testing.T) {
		snap := takeSnapshot(t)
		spec := baseSpec("sleep", "100")
		cg := uniqueCgroup(t)
		spec.Linux.CgroupsPath = cg
		b := newBundle(t, spec)
		r.deleteOnCleanup(t, "dc")
		r.ok(t, "create", "--bundle", b.dir, "dc")
		pid := r.mustState(t, "dc").Pid
		r.ok(t, "delete", "dc")
		r.requireNothingLeft(t, snap, "dc", cg)
		require.False(t, pidAlive(pid), "init %d of the deleted container still runs", pid)
	})

	t.Run("kill_KILL_stops_a_created_container", func(t *testing.T) {
		b := newBundle(t, baseSpec("sleep", "100"))
		r.deleteOnCleanup(t, "kc")
		r.ok(t, "create", "--bundle", b.dir, "kc")
		r.ok(t, "kill", "kc", "KILL")
		r.waitStatus(t, "kc", "stopped")
	})

	t.Run("kill_with_an_unknown_signal_fails_and_names_it", func(t *testing.T) {
		b := newBundle(t, baseSpec("sleep", "100"))
		r.deleteOnCleanup(t, "ks")
		r.ok(t, "run", "--detach", "--bundle", b.dir, "ks")
		requireOneLineError(t, r.run(t, "kill", "ks", "SIGBOGUS"), "SIGBOGUS")
		require.Equal(t, "running", r.mustState(t, "ks").Status)
	})

	t.Run("commands_on_a_missing_container_fail_with_one_line_naming_it", func(t *testing.T) {
		for _, args := range [][]string{{"state", "ghost"}, {"start", "ghost"}, {"kill", "ghost", "KILL"}, {"delete", "ghost"}} {
			requireOneLineError(t, r.run(t, args...), "ghost")
		}
	})

	t.Run("delete_force_of_a_missing_container_succeeds_or_says_it_does_not_exist", func(t *testing.T) {
		// runc 1.1 exits 1 with "container does not exist" and containerd
		// treats that message as success; exit 0 is fine too.
		res := r.run(t, "delete", "-f", "ghost")
		if res.code != 0 {
			requireOneLineError(t, res, "ghost")
			require.True(t, isNotExist(res.stderr), res.String())
		}
	})
}

// startThreeWithoutPidNS starts a container without a pid namespace whose
// init (sleep) has two background sleeps, and returns the three pids from
// its pids cgroup. Killing such an init leaves its children running.
func startThreeWithoutPidNS(t *testing.T, r *rt, id, cg string) []int {
	t.Helper()
	spec := baseSpec("sh", "-c", "sleep 1000 & sleep 1000 & touch /ready; exec sleep 1000")
	withoutNamespace(spec, specs.PIDNamespace)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, id)
	r.ok(t, "create", "--bundle", b.dir, id)
	r.ok(t, "start", id)
	eventually(t, 10*time.Second, "the container's background sleeps", func() bool {
		_, err := os.Stat(filepath.Join(b.rootfs, "ready"))
		return err == nil
	})
	// The shell may still be between touch and its exec: wait for the
	// three sleeps (the init among them) to be all that is left.
	var pids []int
	eventually(t, 10*time.Second, "init and its two background sleeps, alone in the pids cgroup", func() bool {
		pids = pidsOf(t, cg)
		if len(pids) != 3 {
			return false
		}
		for _, pid := range pids {
			if comm, _ := os.ReadFile(filepathJoinProc(pid, "comm")); string(comm) != "sleep\n" {
				return false
			}
		}
		return true
	})
	return pids
}

// requireAllDie waits for every pid to be gone.
func requireAllDie(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		eventually(t, 5*time.Second, fmt.Sprintf("process %d to die", pid), func() bool {
			reapZombies()
			return !pidAlive(pid)
		})
	}
}

// delete -f must kill every process still in the container's cgroup
// (through the freezer, so none forks away) and remove the cgroup.
func TestDeleteForceKillsEveryProcessLeftInTheCgroup(t *testing.T) {
	r := newRuntime(t)
	snap := takeSnapshot(t)
	cg := uniqueCgroup(t)
	pids := startThreeWithoutPidNS(t, r, "delleft", cg)
	r.ok(t, "delete", "-f", "delleft")
	requireAllDie(t, pids)
	r.requireNothingLeft(t, snap, "delleft", cg)
}

// pidsOf lists the processes in the container's pids cgroup (the one
// cgroup on a pure v2 host).
func pidsOf(t *testing.T, cgPath string) []int {
	t.Helper()
	for _, d := range cgroupDirs(cgPath) {
		if !strings.Contains(d, "/pids/") && !pureV2() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		require.NoError(t, err)
		var pids []int
		for _, f := range strings.Fields(string(raw)) {
			pid, err := strconv.Atoi(f)
			require.NoError(t, err)
			pids = append(pids, pid)
		}
		return pids
	}
	t.Skip("no v1 pids hierarchy and no pure cgroup v2 on this host")
	return nil
}

// kill --all reaches every process of the container, not only the init,
// and leaves a paused container paused.
func TestKillAllSignalsEveryProcessAndKeepsAPausedContainerPaused(t *testing.T) {
	r := newRuntime(t)
	id := "killall"
	pids := startThreeWithoutPidNS(t, r, id, uniqueCgroup(t))

	r.ok(t, "pause", id)
	// WINCH: delivered to every process, harmless to sleep (ignored).
	r.ok(t, "kill", "--all", id, "WINCH")
	require.Equal(t, "paused", r.mustState(t, id).Status, "kill --all must not thaw a paused container")
	r.ok(t, "resume", id)

	r.ok(t, "kill", "--all", id, "KILL")
	requireAllDie(t, pids)
	r.waitStatus(t, id, "stopped")
}
