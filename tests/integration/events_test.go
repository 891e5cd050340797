//go:build linux

package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// eventJSON is runc's events envelope with the stats fields the tests
// check (runc types/events.go names).
type eventJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data *struct {
		CPU struct {
			Usage struct {
				Total  uint64   `json:"total"`
				Percpu []uint64 `json:"percpu"`
				User   uint64   `json:"user"`
				Kernel uint64   `json:"kernel"`
			} `json:"usage"`
		} `json:"cpu"`
		Memory struct {
			Usage struct {
				Usage uint64 `json:"usage"`
				Limit uint64 `json:"limit"`
			} `json:"usage"`
			Raw map[string]uint64 `json:"raw"`
		} `json:"memory"`
		Pids struct {
			Current uint64 `json:"current"`
			Limit   uint64 `json:"limit"`
		} `json:"pids"`
	} `json:"data"`
}

func limitedSpec(memLimit int64, args ...string) *specs.Spec {
	spec := baseSpec(args...)
	pids := int64(64)
	spec.Linux.Resources = &specs.LinuxResources{
		// Swap equal to the limit: no swap, so exceeding it means OOM.
		Memory: &specs.LinuxMemory{Limit: &memLimit, Swap: &memLimit},
		Pids:   &specs.LinuxPids{Limit: &pids},
	}
	return spec
}

// TestEventsStatsPrintsTheKernelsNumbers: `events --stats` of a running
// container prints one stats event with the usage and limits its cgroup
// shows; a stopped or missing container is a one-line error.
func TestEventsStatsPrintsTheKernelsNumbers(t *testing.T) {
	r := newRuntime(t)
	const limit = 64 << 20
	// Some CPU work before sleeping, so usage is clearly non-zero.
	spec := limitedSpec(limit, "sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 100")
	spec.Linux.CgroupsPath = uniqueCgroup(t)
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, "evs")
	r.ok(t, "run", "--detach", "--bundle", b.dir, "evs")

	res := r.ok(t, "events", "--stats", "evs")
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	require.Len(t, lines, 1, "--stats prints one event\n%s", res)
	var ev eventJSON
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &ev), lines[0])
	require.Equal(t, "stats", ev.Type)
	require.Equal(t, "evs", ev.ID)
	require.NotNil(t, ev.Data, lines[0])
	d := ev.Data
	require.Positive(t, d.Memory.Usage.Usage, "memory usage\n%s", lines[0])
	require.EqualValues(t, limit, d.Memory.Usage.Limit, "memory limit\n%s", lines[0])
	require.NotEmpty(t, d.Memory.Raw, "memory.stat map\n%s", lines[0])
	require.GreaterOrEqual(t, d.Pids.Current, uint64(1), "pids\n%s", lines[0])
	require.EqualValues(t, 64, d.Pids.Limit, "pids limit\n%s", lines[0])
	require.Positive(t, d.CPU.Usage.Total, "cpu usage\n%s", lines[0])
	require.LessOrEqual(t, d.CPU.Usage.User+d.CPU.Usage.Kernel, d.CPU.Usage.Total+20_000_000,
		"user+kernel (10ms ticks) about the total\n%s", lines[0])

	r.ok(t, "kill", "evs", "KILL")
	r.waitStatus(t, "evs", "stopped")
	requireOneLineError(t, r.run(t, "events", "--stats", "evs"), "evs", "not running")
	requireOneLineError(t, r.run(t, "events", "--stats", "ghost"), "ghost")
	requireOneLineError(t, r.run(t, "events", "--interval", "1s", "evs"), "evs", "not running")
}

// TestEventsReportsOOMAndEndsWithTheContainer: a container allocating past
// its memory limit is OOM-killed; the streaming `events` prints an "oom"
// event, stats events, and exits 0 once the container has stopped.
func TestEventsReportsOOMAndEndsWithTheContainer(t *testing.T) {
	r := newRuntime(t)
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"); err != nil {
		if swaps, _ := os.ReadFile("/proc/swaps"); strings.Count(string(swaps), "\n") > 1 {
			t.Skip("swap is on and cgroup v1 swap accounting is off: the container would swap instead of being OOM-killed")
		}
	}
	// The allocation starts once /go exists, after events is listening.
	// tail keeps the whole "line" of /dev/zero (no newline ever) in memory.
	spec := limitedSpec(16<<20, "sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; tail /dev/zero; exit 3")
	spec.Linux.CgroupsPath = uniqueCgroup(t)
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, "evo")
	r.ok(t, "run", "--detach", "--bundle", b.dir, "evo")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := r.command(ctx, "events", "--interval", "300ms", "evo")
	out, err := os.Create(filepath.Join(t.TempDir(), "events"))
	require.NoError(t, err)
	defer out.Close()
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = out, &stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// The first stats line is printed once the OOM watch is registered.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(readFile(t, out.Name()), `"type":"stats"`) {
		require.True(t, time.Now().Before(deadline), "no stats event within 10s; stderr: %s", stderr.String())
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, os.WriteFile(filepath.Join(b.rootfs, "go"), nil, 0o644))

	select {
	case err := <-done:
		require.NoError(t, err, "events must exit 0 when the container stops; stderr: %s", stderr.String())
	case <-ctx.Done():
		t.Fatalf("events did not exit after the container stopped; output:\n%s", readFile(t, out.Name()))
	}
	var types []string
	sc := bufio.NewScanner(strings.NewReader(readFile(t, out.Name())))
	for sc.Scan() {
		var ev eventJSON
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), sc.Text())
		require.Equal(t, "evo", ev.ID, sc.Text())
		types = append(types, ev.Type)
	}
	require.Contains(t, types, "oom", "events printed: %v; stderr: %s", types, stderr.String())
	require.Contains(t, types, "stats")
	require.Equal(t, "stopped", r.mustState(t, "evo").Status)
}
