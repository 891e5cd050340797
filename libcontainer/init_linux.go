package libcontainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcontainer/internal/capabilities"
	"github.com/gocontainer/gocontainer/libcontainer/internal/channel"
	"github.com/gocontainer/gocontainer/libcontainer/internal/execguard"
	"github.com/gocontainer/gocontainer/libcontainer/internal/hooks"
	"github.com/gocontainer/gocontainer/libcontainer/internal/nsexec"
	"github.com/gocontainer/gocontainer/libcontainer/internal/procattr"
	"github.com/gocontainer/gocontainer/libcontainer/internal/rlimits"
	"github.com/gocontainer/gocontainer/libcontainer/internal/rootfs"
	"github.com/gocontainer/gocontainer/libcontainer/internal/stopat"
	"github.com/gocontainer/gocontainer/libcontainer/internal/sysctl"
	"github.com/gocontainer/gocontainer/libcontainer/internal/user"
	lsys "github.com/gocontainer/gocontainer/libcontainer/syscall"
	"github.com/gocontainer/gocontainer/libseccomp"
)

// InitOptions configure the container init side of the binary.
type InitOptions struct {
	// Executors are tried in order at the very end; the default execve
	// runs when all of them decline (or there are none).
	Executors []Executor
}

// IsInit reports whether this process was started as a container init,
// i.e. whether the binary must call Init instead of parsing its command
// line.
func IsInit() bool {
	return os.Getenv(nsexec.EnvInitPipe) != ""
}

// Init is the Go half of the container init. The C stage has already put
// the process into its namespaces; Init sets up the container, waits for
// start and execs the container process. It only returns on failure, with
// the exit code the process should exit with, after reporting the error to
// the runtime. Code here never panics: every failure is sent to the parent
// as the failing step and reason.
func Init(opts InitOptions) int {
	// Namespaces and credentials are per thread until exec; keep this
	// goroutine on the thread the C stage prepared.
	runtime.LockOSThread()
	fd, err := strconv.Atoi(os.Getenv(nsexec.EnvInitPipe))
	if err != nil {
		return 125
	}
	os.Unsetenv(nsexec.EnvInitPipe)
	unix.CloseOnExec(fd)
	// Non-dumpable while the init holds host resources, so no process in
	// the container can ptrace it or open its fds (CVE-2016-9962). execve
	// resets this for the container process.
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	conn := channel.New(os.NewFile(uintptr(fd), "init-child"))

	// The first message says which init this is: a new container's, or
	// an exec'd process's (execinit_linux.go).
	m, err := conn.Recv()
	if err != nil || (m.Type != channel.TypeConfig && m.Type != channel.TypeExecConfig) {
		return 1
	}
	if m.Type == channel.TypeExecConfig {
		return execInit(conn, m, opts)
	}
	var cfg initConfig
	if err := json.Unmarshal(m.Payload, &cfg); err != nil {
		_ = conn.SendError(channel.NewInitError("decode init config", err))
		return 1
	}
	// The sealed binary is only needed by execve, which is done; nothing
	// in the container should ever see a handle on it.
	if cfg.ExeFD > 2 {
		unix.Close(cfg.ExeFD)
	}
	if cfg.spec, err = decodeInitSpec(cfg.Config); err != nil {
		_ = conn.SendError(channel.NewInitError("decode config.json", err))
		return 1
	}
	in := &initProcess{cfg: &cfg, conn: conn, opts: opts, log: initLogger(conn, cfg.LogLevel), sys: lsys.NewLinux()}
	// run only returns on failure: success ends in execve.
	err = in.run()
	var ie *channel.InitError
	if !errors.As(err, &ie) {
		ie = channel.NewInitError("container init", err)
	}
	_ = conn.SendError(ie)
	return 1
}

// initLogger logs the init's entries at the runtime's level as messages on
// conn, one slog JSON line each, which the runtime re-emits into its own
// log (--log, --debug). The init's stderr is the container's and must stay
// clean: a failed send is dropped, never reported there.
func initLogger(conn *channel.Conn, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(conn.LogWriter(), &slog.HandlerOptions{
		Level: level,
		// The runtime stamps the entry when it re-emits it.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

type initProcess struct {
	cfg  *initConfig
	conn *channel.Conn
	opts InitOptions
	log  *slog.Logger
	sys  lsys.Syscall
	// procFD is an O_PATH handle on the host's procfs.
	procFD int
	// seccomp is linux.seccomp translated, loaded in setupProcess or
	// just before ready depending on no_new_privileges.
	seccomp *libseccomp.Filter
}

// step runs fn and tags its error with the step name, for the user's one
// line.
func step(name string, fn func() error) error {
	stopat.Here("init:" + name)
	if err := fn(); err != nil {
		return channel.NewInitError(name, err)
	}
	return nil
}

// loadSeccomp installs the filter and, when it has SCMP_ACT_NOTIFY rules,
// hands the listener fd to the runtime straight away, before the init makes
// any syscall the profile may trap: such a syscall blocks until the agent
// at listenerPath answers, and the agent only gets the fd through the
// runtime. The send itself is a write and a sendmsg, which is why NOTIFY
// may not apply to write (libseccomp refuses such a profile). The init's
// copy is closed: the container must never hold its own listener.
func (in *initProcess) loadSeccomp() error {
	// SCMP_ACT_KILL kills this thread only; the guard then ends the init
	// with 128+SIGSYS instead of leaving it half dead (execguard).
	if err := execguard.Start(128 + int(unix.SIGSYS)); err != nil {
		in.log.Debug("no exec guard", slog.Any("error", err))
	}
	if err := step("seccomp", in.seccomp.Load); err != nil {
		return err
	}
	if !in.seccomp.UsesNotify() {
		return nil
	}
	return step("seccomp notify listener", func() error {
		fd, err := in.seccomp.NotifyFd()
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := in.conn.SendFd(channel.TypeSeccompFd, fd); err != nil {
			return fmt.Errorf("send to the runtime: %w", err)
		}
		return nil
	})
}

func (in *initProcess) hookState(status Status) ([]byte, error) {
	st := specs.State{
		Version: in.cfg.spec.Version, ID: in.cfg.ID, Status: specs.ContainerState(status),
		Pid: in.cfg.InitPid, Bundle: in.cfg.Bundle, Annotations: in.cfg.spec.Annotations,
	}
	return json.Marshal(st)
}

// run sets the container up and execs its process; it returns only on
// failure.
func (in *initProcess) run() error {
	ctx := context.Background()
	spec := in.cfg.spec
	proc := spec.Process
	hk := spec.Hooks
	if hk == nil {
		hk = &specs.Hooks{}
	}

	if !in.cfg.NoNewKeyring {
		resetKeyLabel, err := setKeyringLabel(proc, in.log)
		if err != nil {
			return channel.NewInitError("selinux keyring label", err)
		}
		if err := step("join session keyring", func() error {
			_, err := unix.KeyctlJoinSessionKeyring("_ses." + in.cfg.ID)
			// No keyring support, or a user namespace that may not create
			// one: the container simply shares the caller's.
			if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EDQUOT) {
				return nil
			}
			return err
		}); err != nil {
			return err
		}
		resetKeyLabel()
	}

	// The host's /proc, opened before pivot_root: the container may not
	// mount a procfs at all, and the fifo is reopened through it.
	procFD, err := unix.Open("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return channel.NewInitError("open /proc", err)
	}
	in.procFD = procFD

	idmapped, err := recvIDMapMounts(in.conn, spec)
	if err != nil {
		return channel.NewInitError("idmapped mounts", err)
	}
	mountNS := hasNamespace(spec.Linux, specs.MountNamespace)
	ropts := rootfs.Options{
		Spec: spec, Rootfs: in.cfg.Rootfs, Bundle: in.cfg.Bundle,
		NoPivot: in.cfg.NoPivot, InUserNS: in.cfg.UserNS, Logger: in.log,
		IDMapped: idmapped, MountLabel: mountLabel(spec),
	}
	// Also the runtime's user namespace (uid 0 in one, as rootless Podman).
	ropts.InUserNS = in.inUserNS()
	if mountNS {
		if err := step("prepare rootfs", func() error { return rootfs.Prepare(in.sys, ropts) }); err != nil {
			return err
		}
	}

	//lint:ignore SA1019 prestart is deprecated in runtime-spec, yet configs use it and it must run.
	if len(hk.Prestart) > 0 || len(hk.CreateRuntime) > 0 {
		if err := in.conn.Send(channel.TypeHooks, nil); err != nil {
			return channel.NewInitError("request runtime hooks", err)
		}
		if _, err := in.conn.Expect(channel.TypeHooksDone); err != nil {
			// The runtime reports its own hook failure; just stop.
			return channel.NewInitError("wait for runtime hooks", err)
		}
	}
	if len(hk.CreateContainer) > 0 {
		st, err := in.hookState(StatusCreating)
		if err != nil {
			return err
		}
		// runc runs them from the container's rootfs (its cwd then),
		// in the container's mount namespace, before the switch.
		if err := step("chdir to the rootfs for createContainer hooks", func() error { return unix.Chdir(in.cfg.Rootfs) }); err != nil {
			return err
		}
		if err := hooks.Run(ctx, startContainerHooks(hk.CreateContainer, proc), st, "createContainer"); err != nil {
			return channel.NewInitError("createContainer hooks", err)
		}
	}

	if err := step("switch root", func() error { return rootfs.Pivot(in.sys, ropts) }); err != nil {
		return err
	}
	// A process.cwd missing from the rootfs is made (runc 1.1.5+, crun),
	// after the switch: the path resolves inside the container's root,
	// and before Finalize may make the root read-only.
	if err := step("create cwd", func() error { return makeCwd(proc.Cwd) }); err != nil {
		return err
	}
	if mountNS {
		// The init's stdio may be the host's /dev/null, which the container
		// must not keep a handle on.
		if err := step("reopen /dev/null", rootfs.ReopenDevNull); err != nil {
			return err
		}
	}
	// The terminal comes after the container's mounts (the pty is the
	// container's devpts) and before Finalize, which may make /dev
	// read-only.
	if in.cfg.ConsoleFD > 0 {
		if err := step("terminal", func() error { return in.setupConsole(mountNS) }); err != nil {
			return err
		}
	}

	if newNetworkNamespace(spec.Linux) {
		if err := step("loopback", loopbackUp); err != nil {
			return err
		}
	}
	// Hostname and sysctls come before Finalize, which may make /proc/sys
	// read-only (readonlyPaths).
	if hasNamespace(spec.Linux, specs.UTSNamespace) {
		if spec.Hostname != "" {
			if err := step("set hostname", func() error { return unix.Sethostname([]byte(spec.Hostname)) }); err != nil {
				return err
			}
		}
		if spec.Domainname != "" {
			if err := step("set domainname", func() error { return unix.Setdomainname([]byte(spec.Domainname)) }); err != nil {
				return err
			}
		}
	}
	if spec.Linux != nil && len(spec.Linux.Sysctl) > 0 {
		if err := step("sysctl", func() error { return sysctl.Apply(spec.Linux.Sysctl) }); err != nil {
			return err
		}
	}
	if mountNS {
		if err := step("finalize rootfs", func() error { return rootfs.Finalize(in.sys, ropts) }); err != nil {
			return err
		}
	}

	if l := spec.Linux; l != nil && l.Seccomp != nil {
		if err := step("seccomp", func() error {
			var err error
			in.seccomp, err = libseccomp.NewFilter(l.Seccomp, in.log)
			return err
		}); err != nil {
			return err
		}
		defer in.seccomp.Release()
	}
	if in.cfg.ListenFDs > 0 {
		// The activated service checks LISTEN_PID against its own pid,
		// which is 1 in the container (as runc sets it).
		proc.Env = append(proc.Env, "LISTEN_FDS="+strconv.Itoa(in.cfg.ListenFDs), "LISTEN_PID=1")
	}
	if err := step("chown stdio", func() error { return chownStdio(proc.User.UID) }); err != nil {
		return err
	}
	path, err := in.prepareProcess(proc)
	if err != nil {
		return err
	}

	// Everything that can fail is done: the runtime saves the state and
	// create returns.
	if err := in.conn.Send(channel.TypeReady, nil); err != nil {
		return channel.NewInitError("report ready", err)
	}
	stopat.Here("init:ready")
	if _, err := in.conn.Expect(channel.TypeReadyAck); err != nil {
		// The runtime died before recording the container: nobody could
		// ever start or delete it, so do not linger.
		os.Exit(1)
	}
	// Nothing the init logs from here on has anywhere to go.
	in.log = slog.New(slog.DiscardHandler)
	in.conn.Close()
	stopat.Here("init:acked")

	if err := in.waitStart(); err != nil {
		// The runtime is gone; the container's stderr is the only place
		// left to say why the container did not start.
		fmt.Fprintln(os.Stderr, "gocontainer: container init: wait for start:", err)
		os.Exit(1)
	}
	if len(hk.StartContainer) > 0 {
		st, err := in.hookState(StatusRunning)
		if err == nil {
			err = hooks.Run(ctx, startContainerHooks(hk.StartContainer, in.cfg.spec.Process), st, "startContainer")
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gocontainer: startContainer hooks:", err)
			os.Exit(1)
		}
	}
	stopat.Here("init:released")
	// The runtime is gone by now: the container's stderr is the only
	// place left to say why the process did not start.
	ie := in.execProcess(proc, path)
	if ie.Step == "exec" {
		fmt.Fprintf(os.Stderr, "gocontainer: exec %s: %s\n", path, ie.Msg)
		os.Exit(127)
	}
	fmt.Fprintln(os.Stderr, "gocontainer:", ie)
	os.Exit(1)
	return nil
}

// prepareProcess sets the container process up (setupProcess), finds its
// binary, arms the LSM labels and, with no_new_privileges, loads the
// seccomp filter: the steps the init and an exec'd process share, the
// last ones that can still fail where the runtime hears of it.
func (in *initProcess) prepareProcess(proc *specs.Process) (string, error) {
	if err := in.setupProcess(proc); err != nil {
		return "", err
	}
	path, err := in.lookPath(proc)
	if err != nil {
		return "", err
	}
	if err := step("executor", func() error { return checkExecutors(in.opts.Executors, in.execContext(), proc, path) }); err != nil {
		return "", err
	}
	// The AppArmor profile and SELinux label take effect at the execve.
	if err := step("process LSM labels", func() error { return applyProcessLSM(proc, in.log) }); err != nil {
		return "", err
	}
	// With no_new_privileges the filter goes on last, so that as few of
	// the init's own syscalls as possible need the profile's blessing; it
	// must still fail while the runtime can report it.
	if in.seccomp != nil && proc.NoNewPrivileges {
		if err := in.loadSeccomp(); err != nil {
			return "", err
		}
	}
	return path, nil
}

// execProcess turns this process into the container process at path. It
// returns only on failure, naming the step ("exec" when execve failed).
func (in *initProcess) execProcess(proc *specs.Process, path string) *channel.InitError {
	// Nothing of the runtime but the preserved fds may cross the exec
	// (CVE-2024-21626).
	if err := closeExecFrom(3 + in.cfg.PreserveFDs); err != nil {
		return channel.NewInitError("close runtime fds", err)
	}
	ectx := in.execContext()
	for _, e := range in.opts.Executors {
		if err := runExecutor(e, ectx, proc, path); !errors.Is(err, ErrExecutorCannotHandle) {
			return channel.NewInitError("executor", err)
		}
	}
	return channel.NewInitError("exec", unix.Exec(path, proc.Args, proc.Env))
}

// setupProcess applies rlimits, no_new_privileges, capabilities, the user
// and the working directory, in the order the kernel requires: bounding
// set while CAP_SETPCAP is held, then keep-caps across setuid, then the
// remaining sets.
func (in *initProcess) setupProcess(proc *specs.Process) error {
	// Read now: the seccomp filter, loaded below, may refuse what reading
	// /proc takes (statx for a fresh procfs handle).
	setgroupsDenied, err := in.setgroupsDenied()
	if err != nil {
		return channel.NewInitError("read /proc/self/setgroups", err)
	}
	if err := step("rlimits", func() error { return rlimits.Apply(proc.Rlimits) }); err != nil {
		return err
	}
	if l := in.cfg.spec.Linux; l != nil && l.Personality != nil {
		if err := step("personality", func() error { return procattr.ApplyPersonality(l.Personality) }); err != nil {
			return err
		}
	}
	if proc.Scheduler != nil {
		if err := step("scheduler", func() error { return procattr.ApplyScheduler(proc.Scheduler) }); err != nil {
			return err
		}
	}
	if proc.IOPriority != nil {
		if err := step("I/O priority", func() error { return procattr.ApplyIOPriority(proc.IOPriority) }); err != nil {
			return err
		}
	}
	if proc.NoNewPrivileges {
		if err := step("no_new_privileges", func() error {
			return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
		}); err != nil {
			return err
		}
	}
	// HOME comes from the container's /etc/passwd, read before the seccomp
	// filter is in place: the lookup uses openat2, which profiles older
	// than the syscall refuse with EPERM instead of ENOSYS.
	if err := step("HOME", func() error {
		env, err := user.EnvWithHome(proc.Env, "/", proc.User.UID)
		proc.Env = env
		return err
	}); err != nil {
		return err
	}
	// The cwd is entered (and verified) as root when root may enter it, so
	// that the check runs before the seccomp filter, which may well refuse
	// getcwd; otherwise after the switch to the container's user.
	cwdDone := unix.Chdir(proc.Cwd) == nil
	if cwdDone {
		if err := verifyCwd(proc.Cwd); err != nil {
			return err
		}
	}
	// Affinity and memory policy are per thread and survive execve. They
	// come as late as they can: the policy also binds the init's own
	// remaining allocations (harmless, the nodes are the container's),
	// but they must precede seccomp, which may refuse set_mempolicy
	// (docker's profile grants it only with CAP_SYS_NICE), and the ready
	// message, so a failure is still reported. The cgroup is joined
	// already: this is the spec's "final".
	if proc.ExecCPUAffinity != nil {
		if err := step("CPU affinity", func() error { return procattr.ApplyExecCPUAffinity(proc.ExecCPUAffinity) }); err != nil {
			return err
		}
	}
	if l := in.cfg.spec.Linux; l != nil && l.MemoryPolicy != nil {
		if err := step("memory policy", func() error { return procattr.ApplyMemoryPolicy(l.MemoryPolicy) }); err != nil {
			return err
		}
	}
	// Without no_new_privileges the kernel only lets a process holding
	// CAP_SYS_ADMIN install a filter, so it is loaded before the
	// capabilities are dropped; with it, as late as possible (see run).
	if in.seccomp != nil && !proc.NoNewPrivileges {
		if err := in.loadSeccomp(); err != nil {
			return err
		}
	}
	var caps *capabilities.Caps
	if err := step("capabilities", func() error {
		var err error
		if caps, err = capabilities.Parse(proc.Capabilities, in.log); err != nil {
			return err
		}
		if skipped := caps.UnraisableAmbient(); len(skipped) > 0 {
			in.log.Warn("ambient capabilities need to be inheritable too; not raised", slog.Any("capabilities", skipped))
		}
		if err := caps.ApplyBounding(); err != nil {
			return err
		}
		return capabilities.SetKeepCaps()
	}); err != nil {
		return err
	}
	if err := step("set user", func() error {
		// An unprivileged runtime writes gid_map only after denying
		// setgroups (see usermap_linux.go); setgroups(2) then fails.
		return user.Setup(proc.User, user.Options{SetgroupsDenied: setgroupsDenied})
	}); err != nil {
		return err
	}
	if err := step("capabilities", caps.ApplyAfterSetuid); err != nil {
		return err
	}
	if !cwdDone {
		// A cwd only the target user may enter.
		if err := unix.Chdir(proc.Cwd); err != nil {
			return channel.NewInitError("chdir "+proc.Cwd, err)
		}
		if err := verifyCwd(proc.Cwd); err != nil {
			return err
		}
	}
	return nil
}

// makeCwd creates cwd (mode 0755, owned by root) when it does not exist.
func makeCwd(cwd string) error {
	if cwd == "" {
		return nil
	}
	if _, err := os.Lstat(cwd); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return os.MkdirAll(cwd, 0o755)
}

// verifyCwd checks that the cwd just entered is inside the container
// root: a cwd reached through a leaked host fd makes getcwd fail
// (CVE-2024-21626).
func verifyCwd(cwd string) error {
	wd, err := unix.Getwd()
	if err != nil {
		return channel.NewInitError("verify cwd", fmt.Errorf("cwd %s is outside the container root: %w", cwd, err))
	}
	if !strings.HasPrefix(wd, "/") {
		return channel.NewInitError("verify cwd", fmt.Errorf("cwd %q is outside the container root", wd))
	}
	return nil
}

// lookPath resolves process.args[0] with the container's PATH, inside the
// container, so a missing binary fails create rather than start.
func (in *initProcess) lookPath(proc *specs.Process) (string, error) {
	name := proc.Args[0]
	// Errors read as runc's (`exec: "nope": executable file not found in
	// $PATH`), which callers and users search for.
	notRunnable := func(err error) error {
		ie := channel.NewInitError("exec", err)
		ie.Msg = fmt.Sprintf("%q: %s", name, ie.Msg)
		return ie
	}
	if strings.Contains(name, "/") {
		if err := checkExecutable(name); err != nil {
			return "", notRunnable(err)
		}
		return name, nil
	}
	pathEnv := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range proc.Env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathEnv = v
		}
	}
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		if checkExecutable(p) == nil {
			return p, nil
		}
	}
	return "", notRunnable(errors.New("executable file not found in $PATH"))
}

func checkExecutable(path string) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return unix.EISDIR
	}
	return unix.Access(path, unix.X_OK)
}

// waitStart blocks on the exec fifo until start opens it, then tells start
// the init is going ahead.
func (in *initProcess) waitStart() error {
	fd, err := unix.Openat(in.procFD, fmt.Sprintf("self/fd/%d", in.cfg.FifoFD), unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	unix.Close(in.cfg.FifoFD)
	unix.Close(in.procFD)
	// The write end stays open (close-on-exec): start sees it close when
	// the container process has been executed, and only then runs the
	// poststart hooks, as runtime-spec orders them.
	_, err = unix.Write(fd, []byte("0"))
	return err
}

// startContainerHooks gives each startContainer hook without an env of its
// own the container process's environment: the hook runs in the container,
// just before the process, where runc and youki have it inherit the
// environment the init set up for the process.
func startContainerHooks(hs []specs.Hook, proc *specs.Process) []specs.Hook {
	if proc == nil {
		return hs
	}
	out := make([]specs.Hook, len(hs))
	for i, h := range hs {
		if h.Env == nil {
			h.Env = proc.Env
		}
		out[i] = h
	}
	return out
}
