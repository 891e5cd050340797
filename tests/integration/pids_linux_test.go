package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// TestPidsLimitStopsAForkBomb runs a bounded fork bomb under
// linux.resources.pids.limit and checks from the host that the kernel held
// the container to the limit. busybox ash raises "can't fork" and exits
// (it is not interactive) at the first failed fork, so the bomb runs in a
// child shell: its exit status and stderr are the container-side record
// of the refused fork. pid 1 then takes the slot the dead bomb shell
// freed with one more sleep and waits, holding the cgroup at the limit
// for the host to see.
func TestPidsLimitStopsAForkBomb(t *testing.T) {
	r := newRuntime(t)
	const limit = 8
	snap := takeSnapshot(t)
	// The loop is bounded so that a runtime that forgets the limit gives
	// a failed test (30 sleeps), not a host-wide fork bomb. `[` and $(())
	// are ash builtins: the only forks are the sleeps.
	bomb := `i=0; while [ $i -lt 30 ]; do sleep 1000 & i=$((i+1)); done`
	spec := baseSpec("sh", "-c", `sh -c '`+bomb+`' 2>/bomb.err; echo $? >/bomb.rc; touch /done; sleep 1000 & wait`)
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	l := int64(limit)
	spec.Linux.Resources = &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &l}}
	b := newBundle(t, spec)
	id := "pidsbomb"
	r.deleteOnCleanup(t, id)

	current := cgFile(t, "pids", cg, "pids.current")
	events := cgFile(t, "pids", cg, "pids.events")
	r.ok(t, "create", "--bundle", b.dir, id)
	require.Equal(t, strconv.Itoa(limit), cgValue(t, cgFile(t, "pids", cg, "pids.max")), "pids.max from the spec")

	// Sample pids.current for the whole run: the limit must hold at every
	// moment, not only once the bomb is over.
	var (
		mu      sync.Mutex
		maxSeen int
		samples int
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if data, err := os.ReadFile(current); err == nil {
				if n, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
					mu.Lock()
					maxSeen = max(maxSeen, n)
					samples++
					mu.Unlock()
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	stopSampling := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(stopSampling)

	r.ok(t, "start", id)
	eventually(t, 10*time.Second, "/done from the container", func() bool {
		_, err := os.Stat(filepath.Join(b.rootfs, "done"))
		return err == nil
	})
	// At least the limit, so that a breach fails below with the number.
	eventually(t, 5*time.Second, "pids.current to reach the limit", func() bool {
		n, err := strconv.Atoi(cgValue(t, current))
		return err == nil && n >= limit
	})
	// Keep sampling a little in the steady state: nothing may slip past.
	time.Sleep(200 * time.Millisecond)
	stopSampling()
	mu.Lock()
	require.Greater(t, samples, 0, "no sample of %s", current)
	require.LessOrEqual(t, maxSeen, limit, "pids.current exceeded pids.limit")
	require.Equal(t, strconv.Itoa(limit), cgValue(t, current), "pids.current once the bomb is over")
	mu.Unlock()

	procs := strings.Fields(cgValue(t, cgFile(t, "pids", cg, "cgroup.procs")))
	require.Len(t, procs, limit, "processes in the container's pids cgroup: %v", procs)

	// v1 pids.events is "max N": how many forks the limit refused.
	ev := cgValue(t, events)
	f := strings.Fields(ev)
	require.Len(t, f, 2, "pids.events: %q", ev)
	require.Equal(t, "max", f[0], "pids.events: %q", ev)
	refused, err := strconv.Atoi(f[1])
	require.NoError(t, err, "pids.events: %q", ev)
	require.Greater(t, refused, 0, "pids.events counted no refused fork")

	rc := strings.TrimSpace(readFile(t, filepath.Join(b.rootfs, "bomb.rc")))
	require.NotEqual(t, "0", rc, "the bomb shell finished its 30 forks")
	require.Contains(t, readFile(t, filepath.Join(b.rootfs, "bomb.err")), "can't fork", "the bomb shell saw no failed fork")
	require.Equal(t, "running", r.mustState(t, id).Status)

	r.ok(t, "delete", "-f", id)
	r.requireNothingLeft(t, snap, id, cg)
}
