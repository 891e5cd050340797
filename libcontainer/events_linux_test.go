package libcontainer

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups"
	"github.com/gocontainer/gocontainer/libcgroups/cgroupstest"
)

// writeEvents rewrites a fake cgroup v2 events file as the kernel would:
// one in-place write of content as long as the old one (a modification
// inotify reports), so the watcher never reads a truncated file, which a
// kernel file never is.
func writeEvents(t *testing.T, dir, file, content string) {
	t.Helper()
	p := filepath.Join(dir, file)
	old, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Len(t, content, len(old), "fake events must keep their length")
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte(content), 0)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func recv(t *testing.T, ch <-chan struct{}) (ok bool) {
	t.Helper()
	select {
	case _, ok = <-ch:
		return ok
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return false
}

func TestOOMEventsV2ReportsCounterIncreasesAndEndsWhenUnpopulated(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "memory.events"), []byte("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup.events"), []byte("populated 1\nfrozen 0\n"), 0o644))
	ch, err := oomEventsV2(context.Background(), dir, slog.New(slog.DiscardHandler))
	require.NoError(t, err)

	// A change that is not an OOM (memory.max hit, reclaimed) is no event:
	// the next value seen must come from the OOM written after it.
	writeEvents(t, dir, "memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n")
	writeEvents(t, dir, "memory.events", "low 0\nhigh 0\nmax 5\noom 2\noom_kill 2\n")
	require.True(t, recv(t, ch), "OOM counted before the watch started are not reported; a new one is")
	select {
	case <-ch:
		t.Fatal("one OOM reported twice")
	case <-time.After(100 * time.Millisecond):
	}
	writeEvents(t, dir, "cgroup.events", "populated 0\nfrozen 0\n")
	require.False(t, recv(t, ch), "the channel closes once the cgroup is empty")
}

func TestOOMEventsV2StopsWithContextAndOnRemoval(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "memory.events"), []byte("oom 0\noom_kill 0\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup.events"), []byte("populated 1\n"), 0o644))
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := oomEventsV2(ctx, dir, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	cancel()
	require.False(t, recv(t, ch))

	ch, err = oomEventsV2(context.Background(), dir, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(dir, "memory.events")))
	writeEvents(t, dir, "cgroup.events", "populated 1\n")
	require.False(t, recv(t, ch), "memory.events gone: the cgroup was removed")

	_, err = oomEventsV2(context.Background(), t.TempDir(), slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "memory.events")
}

func TestExitedClosesWhenInitExits(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	require.NoError(t, cmd.Start())
	st, err := readProcStat(cmd.Process.Pid)
	require.NoError(t, err)
	c := &Container{state: &State{ID: "x", InitPid: cmd.Process.Pid, InitStart: st.start}, logger: slog.New(slog.DiscardHandler)}
	ch, err := c.Exited(context.Background())
	require.NoError(t, err)
	select {
	case <-ch:
		t.Fatal("closed while the process runs")
	case <-time.After(100 * time.Millisecond):
	}
	require.NoError(t, cmd.Process.Kill())
	recv(t, ch)
	_ = cmd.Wait()

	_, err = c.Exited(context.Background())
	require.ErrorIs(t, err, ErrNotRunning, "a reaped init")
	_, err = (&Container{state: &State{ID: "x", InitPid: os.Getpid(), InitStart: 1}, logger: c.logger}).Exited(context.Background())
	require.ErrorIs(t, err, ErrNotRunning, "a pid whose start time does not match is someone else's")
}

func TestStatsGoesThroughTheCgroupManager(t *testing.T) {
	st, err := readProcStat(os.Getpid())
	require.NoError(t, err)
	fake := cgroupstest.New("/fake/ctr")
	require.NoError(t, fake.Apply(os.Getpid()))
	fake.OOMKills = 2
	fake.Usage.Memory.Usage.Usage = 4096
	c := &Container{
		dir:    t.TempDir(),
		state:  &State{ID: "s", InitPid: os.Getpid(), InitStart: st.start, InitReady: true},
		logger: slog.New(slog.DiscardHandler),
		cg:     fake,
	}
	require.Equal(t, StatusRunning, c.Status())
	got, err := c.Stats()
	require.NoError(t, err)
	require.EqualValues(t, 4096, got.Memory.Usage.Usage)
	require.EqualValues(t, 2, got.Memory.OOMKill)
	require.EqualValues(t, 1, got.Pids.Current)

	fake.Errors = map[string]error{"Stats": libcgroups.ErrNotExist}
	_, err = c.Stats()
	require.ErrorIs(t, err, libcgroups.ErrNotExist)
	require.ErrorContains(t, err, `container "s" stats`)

	c.state.InitPid = 0
	_, err = c.Stats()
	require.ErrorIs(t, err, ErrNotRunning)
	_, err = c.OOMEvents(context.Background())
	require.ErrorIs(t, err, ErrNotRunning)
}

func TestExitedPollFallback(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	require.NoError(t, cmd.Start())
	st, err := readProcStat(cmd.Process.Pid)
	require.NoError(t, err)
	c := &Container{state: &State{ID: "x", InitPid: cmd.Process.Pid, InitStart: st.start}, logger: slog.New(slog.DiscardHandler)}
	ch, err := c.exitedPoll(context.Background())
	require.NoError(t, err)
	select {
	case <-ch:
		t.Fatal("closed while the process runs")
	case <-time.After(3 * exitPollInterval):
	}
	require.NoError(t, cmd.Process.Kill())
	recv(t, ch)
	_ = cmd.Wait()
	_, err = c.exitedPoll(context.Background())
	require.ErrorIs(t, err, ErrNotRunning)
}
