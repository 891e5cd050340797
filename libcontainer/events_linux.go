package libcontainer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups"
	"github.com/gocontainer/gocontainer/libcgroups/common"
)

// Stats reports the resource usage of the container's cgroup. A stopped
// container is ErrNotRunning: its cgroup may already be gone, and numbers
// of a dead container would mislead.
func (c *Container) Stats() (*libcgroups.Stats, error) {
	if c.Status() == StatusStopped {
		return nil, fmt.Errorf("container %q: %w", c.state.ID, ErrNotRunning)
	}
	cg, err := c.cgroup()
	if err != nil {
		return nil, err
	}
	st, err := cg.Stats()
	if err != nil {
		return nil, fmt.Errorf("container %q stats: %w", c.state.ID, err)
	}
	return st, nil
}

// OOMEvents returns a channel that receives a value each time the memory
// controller reports an out-of-memory condition in the container's cgroup.
// The channel is closed when ctx is done or when notifications end (the
// cgroup was removed; on cgroup v2 also once it holds no process).
//
// cgroup v1 (also the memory hierarchy of a hybrid host): an eventfd
// registered through cgroup.event_control on memory.oom_control, which the
// kernel signals on every OOM in the cgroup and on its removal
// (Documentation/admin-guide/cgroup-v1/memory.rst section 11). cgroup v2
// has no such registration: inotify reports modifications of
// memory.events, whose "oom" and "oom_kill" counters are compared with
// their previous values (cgroup-v2.rst, "memory.events").
func (c *Container) OOMEvents(ctx context.Context) (<-chan struct{}, error) {
	if c.Status() == StatusStopped {
		return nil, fmt.Errorf("container %q: %w", c.state.ID, ErrNotRunning)
	}
	cg, err := c.cgroup()
	if err != nil {
		return nil, err
	}
	paths := cg.Paths()
	if dir := paths["memory"]; dir != "" {
		return oomEventsV1(ctx, dir, c.logger)
	}
	if dir := paths[common.UnifiedKey]; dir != "" {
		return oomEventsV2(ctx, dir, c.logger)
	}
	return nil, fmt.Errorf("container %q oom events: no memory cgroup: %w", c.state.ID, common.ErrControllerUnavailable)
}

// Exited returns a channel that is closed when the container's init
// exits (or ctx is done). It watches a pidfd, so it needs no polling and
// cannot be fooled by a recycled pid.
func (c *Container) Exited(ctx context.Context) (<-chan struct{}, error) {
	pid := c.state.InitPid
	if pid <= 0 {
		return nil, fmt.Errorf("container %q: %w", c.state.ID, ErrNotRunning)
	}
	pfd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ENOSYS) {
		// Kernels before 5.3 have no pidfd: poll the process instead.
		return c.exitedPoll(ctx)
	}
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return nil, fmt.Errorf("container %q: %w", c.state.ID, ErrNotRunning)
		}
		return nil, fmt.Errorf("container %q: pidfd_open %d: %w", c.state.ID, pid, os.NewSyscallError("pidfd_open", err))
	}
	// The pid may have been recycled between the state write and the
	// open: the pidfd is only ours if the process is still the init.
	if !alive(pid, c.state.InitStart) {
		unix.Close(pfd)
		return nil, fmt.Errorf("container %q: %w", c.state.ID, ErrNotRunning)
	}
	w, err := newFdWaiter(ctx)
	if err != nil {
		unix.Close(pfd)
		return nil, err
	}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		defer w.close()
		defer unix.Close(pfd)
		// A pidfd polls readable once the process has exited.
		if _, err := w.wait(pfd); err != nil {
			c.logger.Warn("wait for container exit", slog.Any("error", err))
		}
	}()
	return ch, nil
}

// exitedPoll is Exited without pidfd: the init's pid and start time are
// checked every exitPollInterval.
func (c *Container) exitedPoll(ctx context.Context) (<-chan struct{}, error) {
	pid, start := c.state.InitPid, c.state.InitStart
	if !alive(pid, start) {
		return nil, fmt.Errorf("container %q: %w", c.state.ID, ErrNotRunning)
	}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		t := time.NewTicker(exitPollInterval)
		defer t.Stop()
		for alive(pid, start) {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return ch, nil
}

// exitPollInterval is how often exitedPoll looks at the init.
const exitPollInterval = 100 * time.Millisecond

func oomEventsV1(ctx context.Context, dir string, log *slog.Logger) (<-chan struct{}, error) {
	ocPath := filepath.Join(dir, "memory.oom_control")
	ocfd, err := unix.Open(ocPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("oom events: open %s: %w", ocPath, err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(ocfd)
		return nil, fmt.Errorf("oom events: %w", os.NewSyscallError("eventfd", err))
	}
	closeBoth := func() { unix.Close(efd); unix.Close(ocfd) }
	log.Debug("cgroup v1: register oom eventfd", slog.String("dir", dir))
	if err := common.WriteFile(dir, "cgroup.event_control", fmt.Sprintf("%d %d", efd, ocfd)); err != nil {
		closeBoth()
		return nil, fmt.Errorf("oom events: %w", err)
	}
	w, err := newFdWaiter(ctx)
	if err != nil {
		closeBoth()
		return nil, err
	}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		defer w.close()
		defer closeBoth()
		buf := make([]byte, 8)
		for {
			ready, err := w.wait(efd)
			if err != nil {
				log.Warn("oom events", slog.Any("error", err))
				return
			}
			if !ready {
				return
			}
			if _, err := unix.Read(efd, buf); err != nil && !errors.Is(err, unix.EINTR) && !errors.Is(err, unix.EAGAIN) {
				log.Warn("oom events: read eventfd", slog.Any("error", err))
				return
			}
			// The kernel also signals the eventfd when the cgroup is
			// removed: that is the end, not an OOM.
			if _, err := os.Lstat(ocPath); err != nil {
				return
			}
			select {
			case ch <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

func oomEventsV2(ctx context.Context, dir string, log *slog.Logger) (<-chan struct{}, error) {
	ifd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("oom events: %w", os.NewSyscallError("inotify_init1", err))
	}
	for _, f := range []string{"memory.events", "cgroup.events"} {
		p := filepath.Join(dir, f)
		if _, err := unix.InotifyAddWatch(ifd, p, unix.IN_MODIFY); err != nil {
			unix.Close(ifd)
			return nil, fmt.Errorf("oom events: inotify watch %s: %w", p, err)
		}
	}
	last, err := oomCounters(dir)
	if err != nil {
		unix.Close(ifd)
		return nil, err
	}
	w, err := newFdWaiter(ctx)
	if err != nil {
		unix.Close(ifd)
		return nil, err
	}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		defer w.close()
		defer unix.Close(ifd)
		buf := make([]byte, 4096)
		for {
			ready, err := w.wait(ifd)
			if err != nil {
				log.Warn("oom events", slog.Any("error", err))
				return
			}
			if !ready {
				return
			}
			// Drain: which file changed does not matter, both are reread.
			for {
				if _, err := unix.Read(ifd, buf); err != nil {
					break
				}
			}
			cur, err := oomCounters(dir)
			if err != nil {
				// The cgroup was removed.
				return
			}
			if cur.oom > last.oom || cur.oomKill > last.oomKill {
				select {
				case ch <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
			last = cur
			if !cur.populated {
				return
			}
		}
	}()
	return ch, nil
}

type v2OOMCounters struct {
	oom, oomKill uint64
	populated    bool
}

func oomCounters(dir string) (v2OOMCounters, error) {
	var c v2OOMCounters
	ev, err := common.ReadStatFlat(dir, "memory.events")
	if err != nil {
		return c, fmt.Errorf("oom events: %w", err)
	}
	if ev == nil {
		return c, fmt.Errorf("oom events: %s/memory.events: %w", dir, common.ErrControllerUnavailable)
	}
	cg, err := common.ReadStatFlat(dir, "cgroup.events")
	if err != nil || cg == nil {
		return c, fmt.Errorf("oom events: %s/cgroup.events unreadable: %w", dir, errors.Join(err, common.ErrNotExist))
	}
	c.oom, c.oomKill, c.populated = ev["oom"], ev["oom_kill"], cg["populated"] != 0
	return c, nil
}

// fdWaiter waits for an fd to become readable, or for its context to be
// done. The context wakes the poll through an eventfd, so the waiting
// goroutine never outlives the caller's interest.
type fdWaiter struct {
	cancelFd int
	stop     chan struct{}
	wg       sync.WaitGroup
}

func newFdWaiter(ctx context.Context) (*fdWaiter, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	w := &fdWaiter{cancelFd: fd, stop: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		select {
		case <-ctx.Done():
			var one [8]byte
			binary.NativeEndian.PutUint64(one[:], 1)
			_, _ = unix.Write(fd, one[:])
		case <-w.stop:
		}
	}()
	return w, nil
}

// wait reports true when fd is readable, false when the context is done.
func (w *fdWaiter) wait(fd int) (bool, error) {
	for {
		pfds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(w.cancelFd), Events: unix.POLLIN}}
		_, err := unix.Poll(pfds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, os.NewSyscallError("poll", err)
		}
		if pfds[1].Revents != 0 {
			return false, nil
		}
		if pfds[0].Revents&(unix.POLLIN|unix.POLLHUP|unix.POLLERR) != 0 {
			return true, nil
		}
	}
}

// close stops the context watcher and only then closes the eventfd, so a
// late write can never hit a recycled fd number.
func (w *fdWaiter) close() {
	close(w.stop)
	w.wg.Wait()
	unix.Close(w.cancelFd)
}
