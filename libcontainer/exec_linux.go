package libcontainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcontainer/internal/apparmor"
	"github.com/gocontainer/gocontainer/libcontainer/internal/channel"
	"github.com/gocontainer/gocontainer/libcontainer/internal/exeseal"
	"github.com/gocontainer/gocontainer/libcontainer/internal/procattr"
	"github.com/gocontainer/gocontainer/libcontainer/internal/selinux"
	"github.com/gocontainer/gocontainer/libcontainer/internal/stopat"
	"github.com/gocontainer/gocontainer/libcontainer/internal/validate"
)

// execConfig is what an exec'd process's init needs, sent as the first
// Go-side message (channel.TypeExecConfig).
type execConfig struct {
	ID      string          `json:"id"`
	Process *specs.Process  `json:"process"`
	Seccomp json.RawMessage `json:"seccomp,omitempty"`
	// PreserveFDs: fds 3 .. 3+n-1 cross the execve.
	PreserveFDs int `json:"preserve_fds"`
	// ExeFD is the sealed binary the init was executed from.
	ExeFD int `json:"exe_fd"`
	// ConsoleFD is the connected console socket the init sends the pty
	// master over (process.terminal); 0 without a terminal.
	ConsoleFD int        `json:"console_fd,omitempty"`
	LogLevel  slog.Level `json:"log_level"`
}

// Process is a process started in a container by a TenantContainerBuilder.
type Process struct {
	pid int
	// terminal: the process has a pty (its master went to the console
	// socket).
	terminal bool
	mu       sync.Mutex
	// pidfd pins the process for Signal, so a signal never reaches a
	// reused pid; -1 once reaped or released.
	pidfd int
}

// Pid is the process's pid in the caller's pid namespace.
func (p *Process) Pid() int { return p.pid }

// Terminal reports whether the process got a pty (exec --tty, or
// terminal: true in --process).
func (p *Process) Terminal() bool { return p.terminal }

// Signal sends sig to the process.
func (p *Process) Signal(sig unix.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd < 0 {
		return fmt.Errorf("process %d: %w", p.pid, os.ErrProcessDone)
	}
	if err := unix.PidfdSendSignal(p.pidfd, sig, nil, 0); err != nil {
		return fmt.Errorf("signal process %d: %w", p.pid, os.NewSyscallError("pidfd_send_signal", err))
	}
	return nil
}

// Wait waits for the process to exit and returns its exit code in the
// shell's convention (128+signal when it was killed). The caller is the
// process's child subreaper (Build made it one), so only it can wait.
func (p *Process) Wait() (int, error) {
	code, err := waitExitCode(p.pid)
	p.Release()
	return code, err
}

// Release frees what the Process holds without waiting for it (a
// detached exec).
func (p *Process) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pidfd >= 0 {
		unix.Close(p.pidfd)
		p.pidfd = -1
	}
}

// Build starts the process in the container and returns once it has been
// executed, or with the reason it could not be (nothing is left running
// then). The caller becomes the process's child subreaper, so that it can
// Wait for it.
func (tb *TenantContainerBuilder) Build(ctx context.Context) (*Process, error) {
	b := tb.base
	if err := CheckPreservedFDs(b.listenFDs + b.preserveFDs); err != nil {
		return nil, err
	}
	c, err := Load(b.root, b.id, b.logger)
	if err != nil {
		return nil, err
	}
	// runc execs into created containers too (the init waits on the
	// start barrier, fully set up), not into one still being created.
	switch st := c.Status(); st {
	case StatusStopped:
		return nil, fmt.Errorf("cannot exec in container %q: it is stopped: %w", b.id, ErrNotRunning)
	case StatusCreating:
		return nil, fmt.Errorf("cannot exec in container %q: it is still being created: %w", b.id, ErrNotRunning)
	case StatusPaused:
		if !tb.ignorePaused {
			return nil, fmt.Errorf("cannot exec in a paused container %q (use --ignore-paused to override): %w", b.id, ErrPaused)
		}
	}
	if tb.apparmor != "" && !apparmor.Enabled() {
		return nil, fmt.Errorf("--apparmor %q: AppArmor is not enabled on this host: %w", tb.apparmor, ErrUnsupported)
	}
	if tb.processLabel != "" && !selinux.Enabled() {
		return nil, fmt.Errorf("--process-label %q: SELinux is not enabled on this host: %w", tb.processLabel, ErrUnsupported)
	}
	proc, err := tb.process(c.state.Process)
	if err != nil {
		return nil, err
	}
	if b.listenFDs > 0 {
		// As runc does for exec too: the activated service finds its fds.
		proc.Env = append(proc.Env, "LISTEN_FDS="+strconv.Itoa(b.listenFDs), "LISTEN_PID=1")
	}
	// runc's rules and words, which callers know.
	if proc.Terminal && b.consoleSocket == "" && b.consoleFile == nil {
		return nil, errors.New("cannot allocate tty if gocontainer will detach without setting console socket")
	}
	if !proc.Terminal && b.consoleSocket != "" {
		return nil, errors.New("cannot use console socket if gocontainer will not allocate tty")
	}
	if err := validate.Process(proc); err != nil {
		return nil, mark(err, ErrInvalidConfig)
	}
	if err := checkSupported(&specs.Spec{Process: proc}, b.logger); err != nil {
		return nil, err
	}
	dirs, unified, err := execCgroupDirs(c.state.CgroupPaths, tb.subCgroups)
	if err != nil {
		return nil, err
	}
	sc, err := loadExecSeccomp(c.dir)
	if err != nil {
		return nil, err
	}
	e := &execStart{tb: tb, c: c, proc: proc, seccomp: sc, cgroupDirs: dirs, unified: unified, log: b.logger, initStage: initStage{name: "exec init"}}
	if err := e.run(ctx); err != nil {
		e.cleanup()
		return nil, err
	}
	// The process is our unreaped child: the pid is still its own.
	pidfd, err := unix.PidfdOpen(e.pid, 0)
	if err != nil {
		e.cleanup()
		return nil, fmt.Errorf("exec'd process: %w", os.NewSyscallError("pidfd_open", err))
	}
	return &Process{pid: e.pid, pidfd: pidfd, terminal: proc.Terminal}, nil
}

// CheckPreservedFDs checks that fds 3 .. 3+n-1 (socket activation's, then
// --preserve-fds) were passed to the caller. A number the caller left
// free is taken by the next file the runtime opens (its log, a pidfd, the
// init socket), which would then be handed into the container as
// "preserved"; Go opens all of its own files close-on-exec and an
// inherited fd is not, so a number that is missing or close-on-exec is the
// runtime's own. Call it before opening anything: create and exec check
// again, but by then a file of the program's own may hold the number.
func CheckPreservedFDs(n int) error {
	for fd := 3; fd < 3+n; fd++ {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil && flags&unix.FD_CLOEXEC == 0 {
			continue
		}
		return fmt.Errorf("fd %d of the %d to preserve (3..%d) was not passed to gocontainer", fd, n, 2+n)
	}
	return nil
}

// execStart is one run of TenantContainerBuilder.Build.
type execStart struct {
	tb   *TenantContainerBuilder
	c    *Container
	proc *specs.Process
	// seccomp is the container's linux.seccomp as recorded, or nil.
	seccomp json.RawMessage
	// cgroupDirs are the v1 (and, without clone3, cgroup v2) directories
	// the process joins; unified is the cgroup v2 one, "" if none.
	cgroupDirs []string
	unified    string
	log        *slog.Logger

	// stdio is what the C stage gets as fds 0-2.
	stdio [3]*os.File
	// initStage is the exec init's C stage; its pid becomes the exec'd
	// process once reported.
	initStage
}

func (e *execStart) run(ctx context.Context) error {
	b := e.tb.base
	st := e.c.state
	// Pin the container's init: its /proc/<pid>/ns entries are what the
	// process joins, and they must still be the init's when the C stage
	// has opened them (checked after the bootstrap).
	initFD, err := unix.PidfdOpen(st.InitPid, 0)
	if err != nil {
		return fmt.Errorf("container init: %w", os.NewSyscallError("pidfd_open", err))
	}
	defer unix.Close(initFD)
	if !alive(st.InitPid, st.InitStart) {
		return fmt.Errorf("container %q: %w", st.ID, ErrNotRunning)
	}
	plan, err := execJoinPlan(st.InitPid)
	if err != nil {
		return err
	}

	exe, method, err := exeseal.Open(e.c.dir)
	if err != nil {
		return err
	}
	defer exe.Close()
	e.log.Debug("sealed runtime binary for exec", slog.String("method", method))
	parent, child, err := channel.Pair()
	if err != nil {
		return err
	}
	defer parent.Close()
	// fds 3 .. 3+n-1 are the caller's socket-activation and preserved
	// fds, at the same numbers; the runtime's own follow them.
	preserved := b.listenFDs + b.preserveFDs
	extra := make([]*os.File, 0, preserved+3)
	for i := 0; i < preserved; i++ {
		extra = append(extra, os.NewFile(uintptr(3+i), "preserved-fd"))
	}
	sockFD, exeFD := 3+preserved, 4+preserved
	extra = append(extra, child.File(), exe)
	e.stdio = [3]*os.File{b.stdin, b.stdout, b.stderr}
	consoleFD := 0
	if e.proc.Terminal {
		sock, err := consoleSocket(b)
		if err != nil {
			return err
		}
		defer sock.Close()
		extra = append(extra, sock)
		consoleFD = 5 + preserved
		// The pty becomes the process's stdio; until then it has
		// /dev/null, never the caller's (as with create).
		e.stdio = [3]*os.File{}
	}

	// The exec'd process's descendants that outlive it in a container
	// without its own pid namespace, and the process itself after the C
	// stage forked into the container's pid namespace, come to us.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return os.NewSyscallError("prctl PR_SET_CHILD_SUBREAPER", err)
	}
	if err := closeExecFrom(3); err != nil {
		return err
	}
	if err := e.start(extra, sockFD, exeFD); err != nil {
		child.Close()
		return err
	}
	child.Close()
	stage0 := e.cmd.Process.Pid
	stopat.Here("exec:started")
	if a := e.proc.ExecCPUAffinity; a != nil && a.Initial != "" {
		if err := procattr.SetAffinity(stage0, "process.execCPUAffinity.initial", a.Initial); err != nil {
			return err
		}
	}
	// Into the container's cgroups before the C stage joins any
	// namespace: nothing of the container runs outside them.
	for _, dir := range e.cgroupDirs {
		if err := joinCgroup(dir, stage0); err != nil {
			return err
		}
	}

	if err := parent.WriteFrame([]byte(plan)); err != nil {
		return e.died(fmt.Errorf("send bootstrap to exec init: %w", err))
	}
	stopat.Here("exec:cgroup")
	if err := e.bootstrap(parent, stage0); err != nil {
		return err
	}
	stopat.Here("exec:bootstrapped")
	// The namespaces opened by the C stage were the init's if the init
	// is still alive now (the pidfd pins it; its pid cannot have been
	// reused while it lives).
	if n, err := unix.Poll([]unix.PollFd{{Fd: int32(initFD), Events: unix.POLLIN}}, 0); err == nil && n > 0 {
		return fmt.Errorf("container %q: init exited during exec: %w", st.ID, ErrNotRunning)
	}

	cfg := &execConfig{
		ID: st.ID, Process: e.proc, Seccomp: e.seccomp, PreserveFDs: preserved,
		ExeFD: exeFD, ConsoleFD: consoleFD, LogLevel: lowestLevel(e.log),
	}
	if err := parent.Send(channel.TypeExecConfig, cfg); err != nil {
		return e.died(fmt.Errorf("send config to exec init: %w", err))
	}
	stopat.Here("exec:config")
	if err := e.serve(ctx, parent); err != nil {
		return err
	}
	stopat.Here("exec:ready")
	if b.pidFile != "" {
		if err := writePidFile(b.pidFile, e.pid); err != nil {
			return err
		}
	}
	return nil
}

// start starts the C stage, entering the cgroup v2 directory on the way
// with clone3's CLONE_INTO_CGROUP where the kernel has it.
func (e *execStart) start(extra []*os.File, sockFD, exeFD int) error {
	newCmd := func() *exec.Cmd {
		// Executed through the number the sealed binary gets in the child
		// (see create.run).
		return &exec.Cmd{
			Path: fmt.Sprintf("/proc/self/fd/%d", exeFD), Args: []string{os.Args[0], "init"},
			Env: initEnv(sockFD), Dir: "/",
			Stdin: e.stdio[0], Stdout: e.stdio[1], Stderr: e.stdio[2], ExtraFiles: extra,
		}
	}
	if e.unified != "" {
		fd, err := unix.Open(e.unified, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("join cgroup %s: %w", e.unified, &os.PathError{Op: "open", Path: e.unified, Err: err})
		}
		defer unix.Close(fd)
		e.cmd = newCmd()
		e.cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
		err = e.cmd.Start()
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.E2BIG) {
			return fmt.Errorf("start exec init in cgroup %s: %w", e.unified, err)
		}
		// No clone3 (before Linux 5.7): write cgroup.procs like v1.
		e.log.Debug("clone3 CLONE_INTO_CGROUP unavailable; joining through cgroup.procs", slog.Any("error", err))
		e.cgroupDirs = append(e.cgroupDirs, e.unified)
	}
	e.cmd = newCmd()
	if err := e.cmd.Start(); err != nil {
		return fmt.Errorf("start exec init: %w", err)
	}
	return nil
}

// bootstrap reads the C stage's answer to the join plan: the pid that
// becomes the process, or its one-line failure.
func (e *execStart) bootstrap(conn *channel.Conn, stage0 int) error {
	raw, err := conn.ReadFrame()
	if err != nil {
		return e.died(fmt.Errorf("exec init (joining namespaces): %w", err))
	}
	return e.reported(raw, stage0, "joining namespaces")
}

// serve answers the exec init until it has executed the process: it
// reports ready, then its close-on-exec end of the socket closes at the
// execve, while a failure arrives as an error message first. EOF before
// ready is an init that died setting up (killed), never a success.
func (e *execStart) serve(ctx context.Context, conn *channel.Conn) error {
	ready := false
	for {
		m, err := conn.Recv()
		if errors.Is(err, io.EOF) && ready {
			// The close-on-exec socket closed at the execve.
			return nil
		}
		if errors.Is(err, io.EOF) {
			// Gone before it reported ready: killed (OOM, a signal)
			// while setting up, never executed.
			return e.died(fmt.Errorf("exec init: %w", err))
		}
		if err != nil {
			return e.died(fmt.Errorf("exec init: %w", err))
		}
		switch m.Type {
		case channel.TypeLog:
			reemitInitLog(e.log, m.Payload)
		case channel.TypeReady:
			ready = true
		case channel.TypeSeccompFd:
			fd, err := conn.RecvFd()
			if err != nil {
				return e.died(fmt.Errorf("exec init: seccomp listener: %w", err))
			}
			if err := e.sendSeccompListener(fd); err != nil {
				return err
			}
		case channel.TypeError:
			if m.Error == nil {
				return errors.New("exec init failed without a reason")
			}
			return m.Error
		default:
			return fmt.Errorf("exec init sent an unexpected %q message", m.Type)
		}
	}
}

// sendSeccompListener hands the exec'd process's listener to the agent
// at linux.seccomp.listenerPath, as create does for the init.
func (e *execStart) sendSeccompListener(fd int) error {
	var sc specs.LinuxSeccomp
	if err := json.Unmarshal(e.seccomp, &sc); err != nil {
		unix.Close(fd)
		return fmt.Errorf("recorded linux.seccomp: %w", err)
	}
	return sendSeccompListener(&sc, fd, e.pid, e.c.OCIState(), e.log)
}

// cleanup kills and reaps whatever a failed exec started.
func (e *execStart) cleanup() { e.kill() }

// execSeccompFile holds the container's linux.seccomp for exec, next to
// state.json rather than in it: a profile is tens of kilobytes, which
// every command would otherwise parse with the state (about 0.5 ms for
// Docker's default profile).
const execSeccompFile = "seccomp.json"

// saveExecSeccomp records the config's linux.seccomp (raw, as the config
// has it) for the container's exec'd processes; nothing when it has none.
func saveExecSeccomp(dir string, raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	path := filepath.Join(dir, execSeccompFile)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return fmt.Errorf("record linux.seccomp for exec: %w", err)
	}
	return nil
}

// loadExecSeccomp reads what saveExecSeccomp recorded; nil when the
// container has no profile.
func loadExecSeccomp(dir string) (json.RawMessage, error) {
	raw, err := os.ReadFile(filepath.Join(dir, execSeccompFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recorded linux.seccomp: %w", err)
	}
	return raw, nil
}

// execJoinPlan is the C stage's bootstrap for exec: no new namespace,
// every namespace of the init that differs from the caller's joined
// (setns into one's own user namespace fails with EINVAL, and a namespace
// the container shares with the host needs no joining).
func execJoinPlan(initPid int) (string, error) {
	var b strings.Builder
	b.WriteString("flags 0\nnondumpable\n")
	for _, t := range namespaceOrder {
		info := namespaces[t]
		path := fmt.Sprintf("/proc/%d/ns/%s", initPid, info.proc)
		var theirs, ours unix.Stat_t
		self := "/proc/self/ns/" + info.proc
		if err := unix.Stat(self, &ours); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue // a namespace type this kernel lacks
			}
			return "", fmt.Errorf("%s namespace: %w", t, &os.PathError{Op: "stat", Path: self, Err: err})
		}
		if err := unix.Stat(path, &theirs); err != nil {
			return "", fmt.Errorf("%s namespace of the container: %w", t, &os.PathError{Op: "stat", Path: path, Err: err})
		}
		if theirs.Dev == ours.Dev && theirs.Ino == ours.Ino {
			continue
		}
		fmt.Fprintf(&b, "join %x %s\n", info.flag, path)
	}
	return b.String(), nil
}

// execCgroupDirs is where an exec'd process goes: the container's cgroup
// directory in every hierarchy (each directory once, though several v1
// controllers may share one), with sub, the --cgroup values, applied.
// The cgroup v2 directory (key "") is returned apart as unified, for
// CLONE_INTO_CGROUP. A sub-cgroup must exist and stay below the
// container's cgroup.
func execCgroupDirs(paths, sub map[string]string) (dirs []string, unified string, err error) {
	for ctrl, rel := range sub {
		base, ok := paths[ctrl]
		if !ok {
			what := "controller " + ctrl
			if ctrl == "" {
				what = "cgroup v2 hierarchy"
			}
			return nil, "", fmt.Errorf("--cgroup %s: the container has no cgroup in the %s", subArg(ctrl, rel), what)
		}
		dir := filepath.Join(base, rel)
		if dir != base && !strings.HasPrefix(dir, base+"/") {
			return nil, "", fmt.Errorf("--cgroup %s: %q is not below the container's cgroup", subArg(ctrl, rel), rel)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, "", fmt.Errorf("--cgroup %s: sub-cgroup %s does not exist", subArg(ctrl, rel), dir)
		}
	}
	// target maps each container cgroup directory to where the process
	// goes in that hierarchy.
	target := map[string]string{}
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, ctrl := range keys {
		rel, ok := sub[ctrl]
		if !ok {
			continue
		}
		base := paths[ctrl]
		dir := filepath.Join(base, rel)
		if prev, dup := target[base]; dup && prev != dir {
			return nil, "", fmt.Errorf("--cgroup %s: controllers of one hierarchy (%s) given different sub-cgroups", subArg(ctrl, rel), base)
		}
		target[base] = dir
	}
	for _, ctrl := range keys {
		base := paths[ctrl]
		if _, ok := target[base]; !ok {
			target[base] = base
		}
	}
	if base, ok := paths[""]; ok {
		unified = target[base]
	}
	seen := map[string]bool{}
	for _, ctrl := range keys {
		base := paths[ctrl]
		if ctrl == "" || seen[base] || base == paths[""] {
			continue
		}
		seen[base] = true
		dirs = append(dirs, target[base])
	}
	return dirs, unified, nil
}

func subArg(ctrl, rel string) string {
	if ctrl == "" {
		return rel
	}
	return ctrl + ":" + rel
}

// joinCgroup moves pid into the cgroup directory dir.
func joinCgroup(dir string, pid int) error {
	path := filepath.Join(dir, "cgroup.procs")
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("join cgroup: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("join cgroup: write %s: %w", path, err)
	}
	return nil
}

// waitExitCode reaps pid and returns its exit code in the shell's
// convention (128+signal when it was killed).
func waitExitCode(pid int) (int, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, os.NewSyscallError("wait4", err)
		}
		break
	}
	switch {
	case ws.Exited():
		return ws.ExitStatus(), nil
	case ws.Signaled():
		return 128 + int(ws.Signal()), nil
	}
	return -1, fmt.Errorf("process %d: unexpected wait status %#x", pid, uint32(ws))
}
