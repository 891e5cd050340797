package libcontainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups"
	"github.com/gocontainer/gocontainer/libcontainer/internal/channel"
	"github.com/gocontainer/gocontainer/libcontainer/internal/exeseal"
	"github.com/gocontainer/gocontainer/libcontainer/internal/hooks"
	"github.com/gocontainer/gocontainer/libcontainer/internal/netdev"
	"github.com/gocontainer/gocontainer/libcontainer/internal/nsexec"
	"github.com/gocontainer/gocontainer/libcontainer/internal/procattr"
	"github.com/gocontainer/gocontainer/libcontainer/internal/stopat"
	"github.com/gocontainer/gocontainer/libcontainer/internal/validate"
)

// initConfig is everything the container init needs, sent as the first
// Go-side message.
type initConfig struct {
	ID string `json:"id"`
	// Config is config.json exactly as the runtime read and validated it.
	Config       json.RawMessage `json:"config"`
	Bundle       string          `json:"bundle"`
	Rootfs       string          `json:"rootfs"`
	NoPivot      bool            `json:"no_pivot"`
	NoNewKeyring bool            `json:"no_new_keyring"`
	PreserveFDs  int             `json:"preserve_fds"`
	// ListenFDs is how many of the preserved fds are socket activation's
	// (LISTEN_FDS), announced to the process in its environment.
	ListenFDs int `json:"listen_fds,omitempty"`
	// FifoFD is the init's O_PATH handle on exec.fifo.
	FifoFD int `json:"fifo_fd"`
	// ExeFD is the sealed binary the init was executed from; the init
	// closes it at once.
	ExeFD int `json:"exe_fd"`
	// InitPid is the init's pid as the runtime sees it, for hook state.
	InitPid int  `json:"init_pid"`
	UserNS  bool `json:"user_ns"`
	// LogLevel is the lowest level the runtime's logger records.
	LogLevel slog.Level `json:"log_level"`
	// ConsoleFD is the connected console socket the init sends the pty
	// master over (process.terminal); 0 when there is none.
	ConsoleFD int `json:"console_fd,omitempty"`

	// spec is Config decoded, in the init.
	spec *specs.Spec
}

// Build creates the container: it validates the bundle, starts the init,
// lets it set everything up, and returns once the init waits on the start
// barrier. On any error nothing is left behind: no state directory, cgroup,
// mount or process.
func (ib *InitContainerBuilder) Build(ctx context.Context) (*Container, error) {
	b := ib.base
	log := b.logger
	if err := validate.ID(b.id); err != nil {
		return nil, err
	}
	bundle, err := filepath.Abs(ib.bundle)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", ib.bundle, err)
	}
	spec, raw, err := validate.ReadBundle(bundle)
	if err != nil {
		return nil, err
	}
	if err := validate.Spec(spec, bundle, validate.WithLogger(log), validate.WithSystemdCgroup(ib.systemd)); err != nil {
		return nil, mark(err, ErrInvalidConfig)
	}
	// linux.netDevices names host devices: they must exist before
	// anything is created.
	if err := netdev.Validate(spec.Linux); err != nil {
		return nil, mark(err, ErrInvalidConfig)
	}
	if err := checkSupported(spec, log); err != nil {
		if errors.Is(err, ErrUnsupported) {
			return nil, err
		}
		return nil, mark(err, ErrInvalidConfig)
	}
	rootfs := spec.Root.Path
	if !filepath.IsAbs(rootfs) {
		rootfs = filepath.Join(bundle, rootfs)
	}
	if rootfs, err = filepath.EvalSymlinks(rootfs); err != nil {
		return nil, &FieldError{Field: "root.path", Err: err}
	}
	if spec.Process != nil && spec.Process.Terminal && b.consoleSocket == "" && b.consoleFile == nil {
		// runc's words, which callers know.
		return nil, errors.New("cannot allocate tty if gocontainer will detach without setting console socket (process.terminal is true)")
	}
	if (spec.Process == nil || !spec.Process.Terminal) && b.consoleSocket != "" {
		// The receiver would wait for a master that never comes.
		return nil, errors.New("cannot use console socket if gocontainer will not allocate tty (process.terminal is false)")
	}

	if err := os.MkdirAll(b.root, 0o700); err != nil {
		return nil, fmt.Errorf("state root: %w", err)
	}
	dir := filepath.Join(b.root, b.id)
	if err := os.Mkdir(dir, 0o711); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("container %q: %w", b.id, ErrExist)
		}
		return nil, fmt.Errorf("state directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		os.Remove(dir)
		return nil, err
	}
	defer lock.Close()
	stopat.Here("create:locked")

	c := &create{ib: ib, spec: spec, config: raw, bundle: bundle, rootfs: rootfs, dir: dir, log: log, initStage: initStage{name: "container init"}}
	if err := c.run(ctx); err != nil {
		c.cleanup()
		return nil, err
	}
	return &Container{root: b.root, dir: dir, state: c.state, logger: log}, nil
}

// create is one run of Build; cleanup undoes whatever it got to.
type create struct {
	ib     *InitContainerBuilder
	spec   *specs.Spec
	config []byte // config.json as read
	bundle string
	rootfs string
	dir    string
	log    *slog.Logger

	state  *State
	cgroup libcgroups.Manager
	// initStage is the container init's C stage; its pid is the init's
	// once reported.
	initStage
}

func (c *create) run(ctx context.Context) error {
	b := c.ib.base
	spec := c.spec
	c.state = &State{
		OCIVersion:  spec.Version,
		ID:          b.id,
		Bundle:      c.bundle,
		Rootfs:      c.rootfs,
		Annotations: spec.Annotations,
		Created:     time.Now().UTC(),
		Owner:       ownerName(),
		UseSystemd:  c.ib.systemd,
		Rootless:    c.ib.rootless,
	}
	if err := recordConfig(c.state, c.dir, c.config, spec); err != nil {
		return err
	}

	cg, err := libcgroups.New(libcgroups.Config{
		Path: c.state.CgroupsPath, Name: b.id, Systemd: c.ib.systemd, Rootless: c.ib.rootless, Logger: c.log,
	})
	if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	if err := refuseFrozen(cg, c.state.CgroupsPath); err != nil {
		return err
	}
	c.cgroup = cg
	c.state.CgroupPaths = cg.Paths()
	// state.json exists before any process or cgroup does, so that
	// delete -f can clean up after a create killed at any later point:
	// it kills whatever is in the cgroup and removes it.
	if err := saveState(c.dir, c.state); err != nil {
		return err
	}
	stopat.Here("create:state")

	fifoPath := filepath.Join(c.dir, execFifo)
	if err := unix.Mkfifo(fifoPath, 0o622); err != nil {
		return &os.PathError{Op: "mkfifo", Path: fifoPath, Err: err}
	}
	// The init opens the fifo after it switched to the container's user,
	// which may be anyone: the mode must not lose its write bits to the
	// umask, and the container's root owns it (as with runc).
	if err := os.Chmod(fifoPath, 0o622); err != nil {
		return err
	}
	uid, gid := containerRoot(spec.Linux)
	if err := chownExecFifo(fifoPath, uid, gid); err != nil {
		return err
	}
	// O_PATH: the init gets a handle that neither opens the fifo nor lets
	// the container reach the state directory (CVE-2016-9962).
	fifo, err := openPath(fifoPath)
	if err != nil {
		return err
	}
	defer fifo.Close()
	stopat.Here("create:fifo")

	// Idmapped mounts are made here, in the host's namespaces, before any
	// process exists; the init moves them into place.
	idm, err := prepareIDMapMounts(spec, c.bundle, c.log)
	if err != nil {
		return err
	}
	defer idm.Close()
	idm.cloneBindSources(spec, c.bundle, c.log)

	exe, method, err := exeseal.Open(c.dir)
	if err != nil {
		return err
	}
	defer exe.Close()
	c.log.Debug("sealed runtime binary for the init", slog.String("method", method))
	stopat.Here("create:sealed")

	parent, child, err := channel.Pair()
	if err != nil {
		return err
	}
	defer parent.Close()

	// fds 3 .. 3+n-1 are the caller's socket-activation and preserved
	// fds, at the same numbers; the runtime's own follow them.
	preserved := b.listenFDs + b.preserveFDs
	extra := make([]*os.File, 0, preserved+4)
	for i := 0; i < preserved; i++ {
		extra = append(extra, os.NewFile(uintptr(3+i), "preserved-fd"))
	}
	base := 3 + preserved
	extra = append(extra, child.File(), fifo, exe)
	sockFD, fifoFD, exeFD := base, base+1, base+2
	stdin, stdout, stderr := b.stdin, b.stdout, b.stderr
	consoleFD := 0
	if spec.Process != nil && spec.Process.Terminal {
		sock, err := consoleSocket(b)
		if err != nil {
			return err
		}
		defer sock.Close()
		extra = append(extra, sock)
		consoleFD = base + 3
		// The terminal becomes the process's stdio; the init holds none
		// of the caller's (as with runc, they are /dev/null until then).
		stdin, stdout, stderr = nil, nil, nil
	}

	// Go may reuse fd numbers while shuffling ExtraFiles into place
	// (golang/go#61751), so the binary is executed through the number it
	// gets in the child, not the parent's.
	c.cmd = &exec.Cmd{
		Path:       fmt.Sprintf("/proc/self/fd/%d", exeFD),
		Args:       []string{os.Args[0], "init"},
		Env:        initEnv(sockFD),
		Dir:        "/",
		Stdin:      stdin,
		Stdout:     stdout,
		Stderr:     stderr,
		ExtraFiles: extra,
	}
	// The init forks into its PID namespace and its first stage exits: be
	// a subreaper so the orphaned init becomes our child (run waits on it).
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return os.NewSyscallError("prctl PR_SET_CHILD_SUBREAPER", err)
	}
	if err := closeExecFrom(3); err != nil {
		return err
	}
	if err := c.cmd.Start(); err != nil {
		child.Close()
		return fmt.Errorf("start container init: %w", err)
	}
	child.Close()
	stage0 := c.cmd.Process.Pid
	stopat.Here("create:started")

	// process.execCPUAffinity.initial is the affinity "before the
	// transition to the container's cgroup" (runtime-spec config.md); the
	// init applies final itself, right before the container process.
	if spec.Process != nil && spec.Process.ExecCPUAffinity != nil && spec.Process.ExecCPUAffinity.Initial != "" {
		a := spec.Process.ExecCPUAffinity
		if err := procattr.SetAffinity(stage0, "process.execCPUAffinity.initial", a.Initial); err != nil {
			return err
		}
	}
	// Join the cgroup before any namespace exists, so no process of the
	// container can ever run outside it.
	if err := c.cgroup.Apply(stage0); err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	res := cgroupResources(spec)
	if res != nil {
		if err := c.cgroup.Set(res); err != nil {
			return fmt.Errorf("cgroup: %w", err)
		}
	}

	stopat.Here("create:cgroup")
	if err := c.bootstrap(parent, stage0); err != nil {
		return err
	}
	stopat.Here("create:bootstrapped")
	st, err := readProcStat(c.pid)
	if err != nil {
		return fmt.Errorf("container init: %w", err)
	}
	c.state.InitPid, c.state.InitStart = c.pid, st.start
	if err := c.applyIntelRdt(); err != nil {
		return err
	}
	if proc := spec.Process; proc != nil && proc.OOMScoreAdj != nil {
		// Written from the host's procfs, about the init's host pid, before
		// the init runs any container-controlled code.
		path := fmt.Sprintf("/proc/%d/oom_score_adj", c.pid)
		if err := os.WriteFile(path, []byte(strconv.Itoa(*proc.OOMScoreAdj)), 0); err != nil {
			return oomScoreAdjError(*proc.OOMScoreAdj, err)
		}
	}
	if spec.Linux != nil && len(spec.Linux.NetDevices) > 0 {
		// The init's network namespace exists now and the init waits for
		// its config, so the devices are in place before any container
		// code runs. From the host: the runtime's netns is where they are.
		// On failure run's caller kills the init, and with its namespace
		// the kernel destroys or returns the devices already moved.
		if err := netdev.Move(fmt.Sprintf("/proc/%d/ns/net", c.pid), spec.Linux.NetDevices); err != nil {
			return err
		}
	}
	c.state.NamespacePaths = make(map[specs.LinuxNamespaceType]string)
	for _, t := range namespaceOrder {
		if t == specs.UserNamespace || hasNamespace(spec.Linux, t) || t == specs.MountNamespace {
			c.state.NamespacePaths[t] = fmt.Sprintf("/proc/%d/ns/%s", c.pid, namespaces[t].proc)
		}
	}

	cfg := &initConfig{
		ID: b.id, Config: c.config, Bundle: c.bundle, Rootfs: c.rootfs,
		NoPivot: c.ib.noPivot, NoNewKeyring: c.ib.noNewKeyring,
		PreserveFDs: preserved, ListenFDs: b.listenFDs, FifoFD: fifoFD, ExeFD: exeFD, InitPid: c.pid,
		UserNS: hasNamespace(spec.Linux, specs.UserNamespace), LogLevel: lowestLevel(b.logger),
		ConsoleFD: consoleFD,
	}
	if err := parent.Send(channel.TypeConfig, cfg); err != nil {
		return c.died(fmt.Errorf("send config to container init: %w", err))
	}
	if err := idm.send(parent, hasNamespace(spec.Linux, specs.UserNamespace)); err != nil {
		return c.died(err)
	}
	if res != nil {
		// What update merges onto, saved with the rest once the init is
		// ready; encoded now, while the init starts its runtime.
		raw, err := json.Marshal(res)
		if err != nil {
			return fmt.Errorf("record linux.resources: %w", err)
		}
		c.state.Resources = raw
	}
	stopat.Here("create:config")
	if err := c.serveInit(ctx, parent); err != nil {
		return err
	}
	stopat.Here("create:acked")
	if b.pidFile != "" {
		if err := writePidFile(b.pidFile, c.pid); err != nil {
			return err
		}
	}
	return nil
}

// initEnv is the container init's whole environment (the container
// process gets the spec's). GOMAXPROCS=1: the init is one sequential
// job, and every extra P only wakes extra threads. No rseq registration
// in glibc: once the main thread has registered, glibc kills the process
// when a later thread fails to ("Fatal glibc error: rseq registration
// failed"), and a thread the Go runtime starts after the container's
// seccomp filter is loaded does, under any profile older than rseq
// (runtime-tools' default profile is such a one). The init does not use
// rseq.
func initEnv(sockFD int) []string {
	env := []string{
		nsexec.EnvInitPipe + "=" + strconv.Itoa(sockFD),
		"GOMAXPROCS=1",
		"GLIBC_TUNABLES=glibc.pthread.rseq=0",
	}
	if stopat.Armed() {
		env = append(env, stopat.EnvVar())
	}
	return env
}

// bootstrap drives the C stage: it sends the namespace plan, writes the id
// mappings when asked, and learns the init's pid.
func (c *create) bootstrap(conn *channel.Conn, stage0 int) error {
	var boot strings.Builder
	var flags uintptr
	if c.spec.Linux != nil {
		for _, ns := range c.spec.Linux.Namespaces {
			info := namespaces[ns.Type]
			if ns.Path == "" {
				flags |= info.flag
			} else {
				fmt.Fprintf(&boot, "join %x %s\n", info.flag, ns.Path)
			}
		}
		if flags&unix.CLONE_NEWTIME != 0 {
			for clock, off := range c.spec.Linux.TimeOffsets {
				fmt.Fprintf(&boot, "timens %s %d %d\n", clock, off.Secs, off.Nanosecs)
			}
		}
	}
	if err := conn.WriteFrame([]byte(fmt.Sprintf("flags %x\n%s", flags, boot.String()))); err != nil {
		return c.died(fmt.Errorf("send bootstrap to container init: %w", err))
	}
	for {
		raw, err := conn.ReadFrame()
		if err != nil {
			return c.died(fmt.Errorf("container init (namespace setup): %w", err))
		}
		if string(raw) != "usermap" {
			return c.reported(raw, stage0, "namespace setup")
		}
		if err := writeIDMaps(stage0, c.spec.Linux, c.log); err != nil {
			return err
		}
		if err := conn.WriteFrame([]byte("ok")); err != nil {
			return c.died(err)
		}
	}
}

// serveInit answers the init's requests until it is ready.
func (c *create) serveInit(ctx context.Context, conn *channel.Conn) error {
	for {
		m, err := conn.Recv()
		if err != nil {
			return c.died(fmt.Errorf("container init: %w", err))
		}
		switch m.Type {
		case channel.TypeLog:
			reemitInitLog(c.log, m.Payload)
		case channel.TypeHooks:
			if err := c.runtimeHooks(ctx); err != nil {
				return err
			}
			if err := conn.Send(channel.TypeHooksDone, nil); err != nil {
				return c.died(err)
			}
		case channel.TypeSeccompFd:
			fd, err := conn.RecvFd()
			if err != nil {
				return c.died(fmt.Errorf("container init: seccomp listener: %w", err))
			}
			if err := c.sendSeccompListener(fd); err != nil {
				return err
			}
		case channel.TypeReady:
			stopat.Here("create:ready")
			c.state.InitReady = true
			if err := saveState(c.dir, c.state); err != nil {
				return err
			}
			stopat.Here("create:saved")
			if err := conn.Send(channel.TypeReadyAck, nil); err != nil {
				return c.died(err)
			}
			return nil
		case channel.TypeError:
			if m.Error == nil {
				return errors.New("container init failed without a reason")
			}
			return fmt.Errorf("container init: %w", m.Error)
		default:
			return fmt.Errorf("container init sent an unexpected %q message", m.Type)
		}
	}
}

// reemitInitLog re-emits one log entry of an init (a slog JSON line, see
// initLogger) through the runtime's logger.
func reemitInitLog(log *slog.Logger, raw json.RawMessage) {
	var entry map[string]any
	if err := json.Unmarshal(raw, &entry); err != nil {
		return
	}
	var lvl slog.Level
	if s, ok := entry[slog.LevelKey].(string); !ok || lvl.UnmarshalText([]byte(s)) != nil {
		lvl = slog.LevelInfo
	}
	msg, _ := entry[slog.MessageKey].(string)
	delete(entry, slog.LevelKey)
	delete(entry, slog.MessageKey)
	ctx := context.Background()
	if !log.Enabled(ctx, lvl) {
		return
	}
	attrs := make([]slog.Attr, 0, len(entry)+1)
	attrs = append(attrs, slog.String("process", "init"))
	for k, v := range entry {
		attrs = append(attrs, slog.Any(k, v))
	}
	log.LogAttrs(ctx, lvl, msg, attrs...)
}

// lowestLevel is the lowest level l records, which the init logs at.
func lowestLevel(l *slog.Logger) slog.Level {
	for _, lvl := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn} {
		if l.Enabled(context.Background(), lvl) {
			return lvl
		}
	}
	return slog.LevelError
}

// runtimeHooks runs prestart (deprecated but still honoured) and
// createRuntime hooks in the runtime's namespaces, after the container's
// namespaces exist and before pivot_root.
func (c *create) runtimeHooks(ctx context.Context) error {
	h := c.spec.Hooks
	if h == nil {
		return nil
	}
	st, err := json.Marshal(c.state.ociState(StatusCreating))
	if err != nil {
		return err
	}
	//lint:ignore SA1019 prestart is deprecated in runtime-spec, yet configs use it and it must run.
	if err := hooks.Run(ctx, withRuntimeEnv(h.Prestart), st, "prestart"); err != nil {
		return err
	}
	return hooks.Run(ctx, withRuntimeEnv(h.CreateRuntime), st, "createRuntime")
}

// withRuntimeEnv gives the hooks the runtime runs itself (prestart,
// createRuntime, poststart, poststop) that have no env the runtime's own
// environment, as runc does (it leaves exec.Cmd.Env nil).
func withRuntimeEnv(hs []specs.Hook) []specs.Hook {
	var env []string
	out := make([]specs.Hook, len(hs))
	for i, h := range hs {
		if h.Env == nil {
			if env == nil {
				env = os.Environ()
			}
			h.Env = env
		}
		out[i] = h
	}
	return out
}

// cleanup removes everything a failed create made.
func (c *create) cleanup() {
	c.kill()
	if c.cgroup != nil {
		if err := c.cgroup.Destroy(); err != nil {
			c.log.Warn("remove cgroup after failed create", slog.Any("error", err))
		}
	}
	if err := destroyIntelRdt(c.state); err != nil {
		c.log.Warn("remove resctrl group after failed create", slog.Any("error", err))
	}
	if err := os.RemoveAll(c.dir); err != nil {
		c.log.Warn("remove state directory after failed create", slog.Any("error", err))
	}
}

// containerRoot is the host uid and gid that are root in the container.
func containerRoot(l *specs.Linux) (uid, gid int) {
	if l == nil {
		return 0, 0
	}
	for _, m := range l.UIDMappings {
		if m.ContainerID == 0 {
			uid = int(m.HostID)
		}
	}
	for _, m := range l.GIDMappings {
		if m.ContainerID == 0 {
			gid = int(m.HostID)
		}
	}
	return uid, gid
}

func openPath(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// writePidFile writes the pid without a trailing newline (containerd and
// conmon parse it that way), atomically.
func writePidFile(path string, pid int) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pid file: %w", err)
	}
	return nil
}

// closeExecFrom marks every fd from minFD up close-on-exec so nothing the
// caller left open leaks into the container (CVE-2024-21626).
func closeExecFrom(minFD int) error {
	err := unix.CloseRange(uint(minFD), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	entries, rerr := os.ReadDir("/proc/self/fd")
	if rerr != nil {
		return fmt.Errorf("close_range: %v; list fds: %w", err, rerr)
	}
	for _, e := range entries {
		fd, _ := strconv.Atoi(e.Name())
		if fd >= minFD {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}

func describeWait(ws unix.WaitStatus) string {
	switch {
	case ws.Signaled():
		return "killed by signal " + unix.SignalName(ws.Signal())
	case ws.Exited():
		return "exit status " + strconv.Itoa(ws.ExitStatus())
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

// recordConfig copies into st what later commands need from the bundle's
// config (poststart/poststop hooks, the process section as the user wrote
// it, cgroupsPath) and saves the seccomp section for exec; create and
// restore record a container the same way.
func recordConfig(st *State, dir string, config []byte, spec *specs.Spec) error {
	if spec.Hooks != nil {
		st.Poststart, st.Poststop = spec.Hooks.Poststart, spec.Hooks.Poststop
	}
	// The process section as the user wrote it, without decoding and
	// encoding the runtime-spec types once more.
	var sections struct {
		Process json.RawMessage `json:"process"`
		Linux   struct {
			Seccomp json.RawMessage `json:"seccomp"`
		} `json:"linux"`
	}
	if err := json.Unmarshal(config, &sections); err != nil {
		return fmt.Errorf("config.json: %w", err)
	}
	st.Process = sections.Process
	if err := saveExecSeccomp(dir, sections.Linux.Seccomp); err != nil {
		return err
	}
	if spec.Linux != nil {
		st.CgroupsPath = spec.Linux.CgroupsPath
	}
	return nil
}
