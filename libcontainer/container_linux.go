package libcontainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups"
	"github.com/gocontainer/gocontainer/libcontainer/internal/hooks"
	"github.com/gocontainer/gocontainer/libcontainer/internal/stopat"
	"github.com/gocontainer/gocontainer/libcontainer/internal/validate"
)

// killTimeout bounds how long delete waits for a SIGKILLed init to go.
const killTimeout = 10 * time.Second

// Container is a container recorded under a state root.
type Container struct {
	root   string
	dir    string
	state  *State
	logger *slog.Logger
	cg     libcgroups.Manager // see cgroup()
}

// Load reads container id from the state root. A container whose create
// was killed before it wrote any state still loads (as stopped), so that
// delete can remove it.
func Load(root, id string, logger *slog.Logger) (*Container, error) {
	if err := validate.ID(id); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dir := filepath.Join(root, id)
	st, err := loadState(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(dir); serr != nil {
			return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
		}
		st, err = &State{ID: id}, nil
	}
	if err != nil {
		return nil, err
	}
	return &Container{root: root, dir: dir, state: st, logger: logger}, nil
}

// List returns the ids of the containers under root, sorted.
func List(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && validate.ID(e.Name()) == nil {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// ID is the container id.
func (c *Container) ID() string { return c.state.ID }

// State returns the recorded state.
func (c *Container) State() *State { return c.state }

// Status derives the container's status from its init process and the
// start barrier.
func (c *Container) Status() Status {
	s := c.state
	if !alive(s.InitPid, s.InitStart) {
		return StatusStopped
	}
	if !s.InitReady {
		return StatusCreating
	}
	if fi, err := os.Lstat(filepath.Join(c.dir, execFifo)); err == nil && !fifoAbandoned(s.InitPid, fi) {
		return StatusCreated
	}
	if cg, err := c.cgroup(); err == nil {
		if fz, err := cg.FreezerState(); err == nil && fz == libcgroups.Frozen {
			return StatusPaused
		}
	}
	return StatusRunning
}

// fifoAbandoned reports whether the init no longer holds the exec fifo
// (fi): it holds it (O_PATH, then open for writing, close-on-exec) from
// create until its execve, so a fifo it does not hold was left by a start
// killed between releasing the init and removing the fifo, and the
// container runs. When the init's fds cannot be read, the fifo counts.
func fifoAbandoned(pid int, fi os.FileInfo) bool {
	want, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		var st unix.Stat_t
		if unix.Stat(dir+"/"+e.Name(), &st) == nil && st.Dev == want.Dev && st.Ino == want.Ino {
			return false
		}
	}
	return true
}

// OCIState is the runtime-spec state document.
func (c *Container) OCIState() specs.State {
	return c.state.ociState(c.Status())
}

func (c *Container) lock() (*os.File, error) {
	f, err := lockDir(c.dir)
	if errors.Is(err, ErrNotExist) {
		return nil, fmt.Errorf("container %q: %w", c.state.ID, ErrNotExist)
	}
	return f, err
}

// cgroup returns the container's cgroup manager, loaded once from the
// saved paths (each load reads mountinfo).
func (c *Container) cgroup() (libcgroups.Manager, error) {
	if c.cg == nil {
		cg, err := libcgroups.Load(libcgroups.Config{
			Path: c.state.CgroupsPath, Name: c.state.ID, Systemd: c.state.UseSystemd, Rootless: c.state.Rootless, Logger: c.logger,
		}, c.state.CgroupPaths)
		if err != nil {
			return nil, err
		}
		c.cg = cg
	}
	return c.cg, nil
}

// Start releases the init from the start barrier and runs the poststart
// hooks.
func (c *Container) Start(ctx context.Context) error {
	l, err := c.lock()
	if err != nil {
		return err
	}
	defer l.Close()
	if st := c.Status(); st != StatusCreated {
		return fmt.Errorf("cannot start container %q: it is %s: %w", c.state.ID, st, ErrNotCreated)
	}
	stopat.Here("start:locked")
	// Pin the init with a pidfd before opening the fifo: opening it
	// releases the init, whose process may exit at once.
	pidfd, err := unix.PidfdOpen(c.state.InitPid, 0)
	if err != nil {
		return fmt.Errorf("container init: %w", os.NewSyscallError("pidfd_open", err))
	}
	defer unix.Close(pidfd)
	// The pid could have been reused between the status check and
	// pidfd_open: check it still is the init.
	if !alive(c.state.InitPid, c.state.InitStart) {
		return fmt.Errorf("container init exited before start: %w", ErrNotRunning)
	}
	fifoPath := filepath.Join(c.dir, execFifo)
	fifo, err := unix.Open(fifoPath, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: fifoPath, Err: err}
	}
	defer unix.Close(fifo)
	stopat.Here("start:opened")
	// runtime-spec orders poststart hooks after the container process has
	// been executed; without such hooks start returns once the init is
	// released.
	poststart := len(c.state.Poststart) > 0
	if err := awaitInit(fifo, pidfd, poststart); err != nil {
		return err
	}
	stopat.Here("start:released")
	if err := os.Remove(fifoPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// The container is started: a fifo its init no longer holds
		// does not make it "created" (see fifoAbandoned), and failing
		// here would tell the caller it did not start.
		c.logger.Warn("start: cannot remove the exec fifo", slog.Any("error", err))
	}
	stopat.Here("start:removed")
	if poststart {
		st, err := json.Marshal(c.state.ociState(StatusRunning))
		if err != nil {
			return err
		}
		// runtime-spec 1.3.0 (#1262) and runc 1.2+: a failing poststart
		// hook fails start, and the container process is killed.
		if err := hooks.Run(ctx, withRuntimeEnv(c.state.Poststart), st, "poststart"); err != nil {
			if kerr := unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0); kerr != nil && kerr != unix.ESRCH {
				c.logger.Warn("kill the container after a failed poststart hook", slog.Any("error", kerr))
			}
			return err
		}
	}
	return nil
}

// awaitInit waits until the init has written its byte to the fifo and,
// with waitExec, then executed the container process (its close-on-exec end
// of the fifo closes), or has died. The fifo was opened non-blocking, so its open cannot
// hang on an init that is gone; the pidfd notices the death.
func awaitInit(fifo, pidfd int, waitExec bool) error {
	fds := []unix.PollFd{{Fd: int32(fifo), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
	released := false
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return os.NewSyscallError("poll", err)
		}
		if fds[0].Revents&(unix.POLLIN|unix.POLLHUP) != 0 {
			var b [1]byte
			n, err := unix.Read(fifo, b[:])
			switch {
			case n == 1:
				if !waitExec {
					return nil
				}
				released = true
			case err == unix.EAGAIN:
			case released:
				// EOF after the byte: the init's close-on-exec write end
				// closed, so the container process has been executed.
				return nil
			default:
				return fmt.Errorf("container init exited before start: %w", ErrNotRunning)
			}
			continue
		}
		if fds[1].Revents != 0 {
			if released {
				return nil // started, and already exited
			}
			return fmt.Errorf("container init exited before start: %w", ErrNotRunning)
		}
	}
}

// Kill sends sig to the init, or with all to every process of the
// container.
func (c *Container) Kill(sig unix.Signal, all bool) error {
	l, err := c.lock()
	if err != nil {
		return err
	}
	defer l.Close()
	if st := c.Status(); st == StatusStopped {
		if !all {
			return fmt.Errorf("container %q: %w", c.state.ID, ErrNotRunning)
		}
		// runc: --all on a stopped container is no error; processes the
		// init left in its cgroup (no pid namespace) still get the signal.
		if cg, err := c.cgroup(); err == nil && cg.Exists() {
			return cg.Kill(sig)
		}
		return nil
	}
	if all {
		return c.signalAll(sig)
	}
	return c.signalInit(sig)
}

func (c *Container) signalInit(sig unix.Signal) error {
	// A pidfd pins the process: once it is open and the start time still
	// matches, the signal cannot reach a reused pid.
	pidfd, err := unix.PidfdOpen(c.state.InitPid, 0)
	if err != nil {
		if err == unix.ESRCH {
			return fmt.Errorf("container %q: %w", c.state.ID, ErrNotRunning)
		}
		return os.NewSyscallError("pidfd_open", err)
	}
	defer unix.Close(pidfd)
	if !alive(c.state.InitPid, c.state.InitStart) {
		return fmt.Errorf("container %q: %w", c.state.ID, ErrNotRunning)
	}
	if err := unix.PidfdSendSignal(pidfd, sig, nil, 0); err != nil {
		return fmt.Errorf("signal container init: %w", os.NewSyscallError("pidfd_send_signal", err))
	}
	return nil
}

// signalAll signals the init and every process in the container's cgroup.
func (c *Container) signalAll(sig unix.Signal) error {
	cg, err := c.cgroup()
	if err != nil {
		return err
	}
	if err := c.signalInit(sig); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	// The manager freezes the cgroup around the signals (v2 SIGKILL:
	// cgroup.kill), so no process forks a child the signal misses, and
	// leaves a paused container paused.
	if err := cg.Kill(sig); err != nil {
		return fmt.Errorf("signal every process of the container: %w", err)
	}
	return nil
}

// Delete removes a stopped or created container; force kills a running
// one first. Whatever create got to is cleaned up, even a create that was
// killed half way.
func (c *Container) Delete(ctx context.Context, force bool) error {
	l, err := c.lock()
	if err != nil {
		return err
	}
	defer l.Close()
	st := c.Status()
	switch st {
	case StatusStopped:
	case StatusCreated, StatusCreating:
		// Never started: nothing of the user's runs yet (runc deletes a
		// created container without --force too).
	default:
		if !force {
			return fmt.Errorf("cannot delete container %q that is %s: %w (use --force)", c.state.ID, st, ErrRunning)
		}
	}
	stopat.Here("delete:locked")
	if err := c.destroy(ctx); err != nil {
		return err
	}
	return nil
}

func (c *Container) destroy(ctx context.Context) error {
	s := c.state
	if err := c.killAndWait(); err != nil {
		return err
	}
	stopat.Here("delete:killed")
	if s.CgroupPaths != nil || s.CgroupsPath != "" {
		cg, err := c.cgroup()
		if err == nil {
			// Processes outside the init's pid namespace (a container
			// without one, or exec'd processes that joined only the
			// cgroup) may remain. Kill freezes the cgroup first (v2:
			// cgroup.kill), so a forking process cannot escape.
			if pids, perr := cg.AllPids(); perr != nil || len(pids) > 0 {
				if kerr := cg.Kill(unix.SIGKILL); kerr != nil {
					c.logger.Debug("kill the processes left in the cgroup", slog.Any("error", kerr))
				}
			}
			err = cg.Destroy()
		}
		if err != nil {
			return fmt.Errorf("remove cgroup: %w", err)
		}
	}
	stopat.Here("delete:cgroup")
	if err := destroyIntelRdt(s); err != nil {
		return err
	}
	if len(s.Poststop) > 0 && s.InitReady {
		raw, err := json.Marshal(s.ociState(StatusStopped))
		if err == nil {
			// Per runtime-spec a poststop failure is only a warning.
			_ = hooks.RunAll(ctx, withRuntimeEnv(s.Poststop), raw, "poststop", c.logger)
		}
	}
	// A restore killed while CRIU ran leaves its root bind mount behind.
	unmountCriuRoot(c.dir)
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("remove state directory: %w", err)
	}
	return nil
}

// killAndWait SIGKILLs every process of the container and waits until the
// init has exited. A pidfd both pins the init against pid reuse and wakes
// the wait the moment it dies (a zombie counts as exited).
func (c *Container) killAndWait() error {
	s := c.state
	if s.InitPid <= 0 {
		return nil
	}
	pidfd, err := unix.PidfdOpen(s.InitPid, 0)
	if err == unix.ESRCH {
		return nil
	}
	if err != nil {
		return fmt.Errorf("container init: %w", os.NewSyscallError("pidfd_open", err))
	}
	defer unix.Close(pidfd)
	if !alive(s.InitPid, s.InitStart) {
		return nil
	}
	if err := c.signalAll(unix.SIGKILL); err != nil && !errors.Is(err, ErrNotRunning) {
		c.logger.Warn("kill container processes", slog.Any("error", err))
	}
	// A frozen process does not die of SIGKILL until it is thawed.
	if cg, err := c.cgroup(); err == nil {
		if st, err := cg.FreezerState(); err == nil && st == libcgroups.Frozen {
			if err := cg.Freeze(libcgroups.Thawed); err != nil {
				return fmt.Errorf("thaw paused container to kill it: %w", err)
			}
		}
	}
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	deadline := time.Now().Add(killTimeout)
	for {
		n, err := unix.Poll(fds, int(time.Until(deadline).Milliseconds()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("poll pidfd", err)
		}
		if n > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container init %d did not exit within %s of SIGKILL", s.InitPid, killTimeout)
		}
	}
}

// Wait waits for the init to exit and returns its exit code in the shell's
// convention (128+signal when killed). Only the process that created the
// container (and so adopted its init) can wait for it.
func (c *Container) Wait() (int, error) {
	return waitExitCode(c.state.InitPid)
}

// Pause freezes every process of a running container.
func (c *Container) Pause() error {
	return c.setFrozen(StatusRunning, libcgroups.Frozen)
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	return c.setFrozen(StatusPaused, libcgroups.Thawed)
}

func (c *Container) setFrozen(want Status, to libcgroups.FreezerState) error {
	l, err := c.lock()
	if err != nil {
		return err
	}
	defer l.Close()
	if st := c.Status(); st != want {
		return mark(fmt.Errorf("container %q is %s, not %s", c.state.ID, st, want), ErrWrongState)
	}
	op := "pause"
	if to == libcgroups.Thawed {
		op = "resume"
	}
	stopat.Here(op + ":locked")
	cg, err := c.cgroup()
	if err != nil {
		return err
	}
	if err := cg.Freeze(to); err != nil {
		return err
	}
	stopat.Here(op + ":done")
	return nil
}

// Processes lists the pids of every process in the container's cgroup, in
// the runtime's pid namespace.
func (c *Container) Processes() ([]int, error) {
	if c.Status() == StatusStopped {
		return nil, fmt.Errorf("container %q: %w", c.state.ID, ErrNotRunning)
	}
	cg, err := c.cgroup()
	if err != nil {
		return nil, err
	}
	return cg.AllPids()
}
