package libcontainer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	criurpc "github.com/checkpoint-restore/go-criu/v8/rpc"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups"
	"github.com/gocontainer/gocontainer/libcontainer/internal/console"
	"github.com/gocontainer/gocontainer/libcontainer/internal/hooks"
	"github.com/gocontainer/gocontainer/libcontainer/internal/validate"
)

// RestoreOptions are runc's restore flags (the builder holds --bundle,
// --pid-file, --console-socket and --no-pivot).
type RestoreOptions struct {
	ImagePath         string
	WorkPath          string // default: ImagePath
	TCPEstablished    bool
	ExtUnixSk         bool
	ShellJob          bool
	FileLocks         bool
	ManageCgroupsMode string
	EmptyNs           []string
	AutoDedup         bool
	LazyPages         bool
	LsmProfile        string // TYPE:NAME
	LsmMountContext   string
	// NoSubreaper: the runtime does not become a child subreaper (a
	// detached restore's processes are re-parented as the caller arranges).
	NoSubreaper bool
}

// Restore creates container id from a CRIU checkpoint in o.ImagePath,
// with the bundle's config (its cgroup, namespaces paths, mounts and
// hooks), and returns it running. Prestart and createRuntime hooks run once
// CRIU has made the namespaces, poststart hooks once the processes run. On
// any error nothing is left behind: no process, cgroup or state directory.
func (ib *InitContainerBuilder) Restore(ctx context.Context, o RestoreOptions) (*Container, error) {
	b := ib.base
	log := b.logger
	if err := validate.ID(b.id); err != nil {
		return nil, err
	}
	if o.ImagePath == "" {
		return nil, errors.New("restore: --image-path is empty")
	}
	if _, err := os.Stat(filepath.Join(o.ImagePath, "inventory.img")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("restore: --image-path %s holds no checkpoint (no inventory.img)", o.ImagePath)
		}
		return nil, fmt.Errorf("restore: --image-path: %w", err)
	}
	emptyNs, err := emptyNsMask(o.EmptyNs)
	if err != nil {
		return nil, err
	}
	mode, err := cgroupsMode(o.ManageCgroupsMode)
	if err != nil {
		return nil, err
	}
	meta, err := readCheckpointMeta(o.ImagePath)
	if err != nil {
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
		return nil, err
	}
	if err := checkSupported(spec, log); err != nil {
		return nil, err
	}
	rootfs := spec.Root.Path
	if !filepath.IsAbs(rootfs) {
		rootfs = filepath.Join(bundle, rootfs)
	}
	if rootfs, err = filepath.EvalSymlinks(rootfs); err != nil {
		return nil, fmt.Errorf("root.path: %w", err)
	}
	if meta.Terminal && b.consoleSocket == "" && b.consoleFile == nil {
		return nil, errors.New("restore: the checkpointed process has a terminal: --console-socket is needed to receive it")
	}
	criu, err := CriuBinary()
	if err != nil {
		return nil, err
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

	r := &restore{ib: ib, o: o, spec: spec, config: raw, bundle: bundle, rootfs: rootfs, dir: dir, log: log,
		meta: meta, criu: criu, emptyNs: emptyNs, mode: mode}
	if err := r.run(ctx); err != nil {
		r.cleanup()
		return nil, err
	}
	c := &Container{root: b.root, dir: dir, state: r.state, logger: log, cg: r.cgroup}
	if len(r.state.Poststart) > 0 {
		if st, err := json.Marshal(r.state.ociState(StatusRunning)); err == nil {
			// As after start: a failing poststart hook is only a warning.
			_ = hooks.RunAll(ctx, r.state.Poststart, st, "poststart", log)
		}
	}
	return c, nil
}

func readCheckpointMeta(dir string) (*checkpointMeta, error) {
	raw, err := os.ReadFile(filepath.Join(dir, checkpointMetaFile))
	if errors.Is(err, fs.ErrNotExist) {
		// Images from another tool: no external mounts or pipes known.
		return &checkpointMeta{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	var m checkpointMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("restore: %s: %w", filepath.Join(dir, checkpointMetaFile), err)
	}
	return &m, nil
}

// restore is one run of Restore; cleanup undoes whatever it got to.
type restore struct {
	ib      *InitContainerBuilder
	o       RestoreOptions
	spec    *specs.Spec
	config  []byte
	bundle  string
	rootfs  string
	dir     string
	log     *slog.Logger
	meta    *checkpointMeta
	criu    string
	emptyNs uint32
	mode    *criurpc.CriuCgMode

	state    *State
	cgroup   libcgroups.Manager
	criuRoot string
	pid      int // the restored init, once CRIU reported it
}

func (r *restore) run(ctx context.Context) error {
	b := r.ib.base
	spec := r.spec
	r.state = &State{
		OCIVersion: spec.Version, ID: b.id, Bundle: r.bundle, Rootfs: r.rootfs,
		Annotations: spec.Annotations, Created: time.Now().UTC(), Owner: ownerName(),
		UseSystemd: r.ib.systemd, Rootless: r.ib.rootless,
	}
	if err := recordConfig(r.state, r.dir, r.config, spec); err != nil {
		return err
	}
	cg, err := libcgroups.New(libcgroups.Config{
		Path: r.state.CgroupsPath, Name: b.id, Systemd: r.ib.systemd, Rootless: r.ib.rootless, Logger: r.log,
	})
	if err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	r.cgroup = cg
	r.state.CgroupPaths = cg.Paths()
	// As with create: state.json first, so delete -f can clean up a
	// restore killed at any later point.
	if err := saveState(r.dir, r.state); err != nil {
		return err
	}

	imageDir, err := os.Open(r.o.ImagePath)
	if err != nil {
		return fmt.Errorf("restore: --image-path: %w", err)
	}
	defer imageDir.Close()
	logDir := r.o.ImagePath

	if err := makeRestoreMountpoints(r.rootfs, r.bundle, spec.Mounts); err != nil {
		return err
	}
	// CRIU's root must be a mount point whose parent is not overmounted:
	// a recursive bind of the rootfs in the state directory.
	r.criuRoot = filepath.Join(r.dir, criuRootDir)
	if err := os.Mkdir(r.criuRoot, 0o755); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := unix.Mount(r.rootfs, r.criuRoot, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("restore: bind %s on %s: %w", r.rootfs, r.criuRoot, err)
	}
	defer r.unmountRoot()

	opts := &criurpc.CriuOpts{
		ImagesDirFd:     new(int32(imageDir.Fd())),
		LogLevel:        new(int32(4)),
		LogFile:         new("restore.log"),
		Root:            new(r.criuRoot),
		RstSibling:      new(true),
		ManageCgroups:   new(true),
		NotifyScripts:   new(true),
		EvasiveDevices:  new(true),
		ShellJob:        new(r.o.ShellJob),
		ExtUnixSk:       new(r.o.ExtUnixSk),
		TcpEstablished:  new(r.o.TCPEstablished),
		FileLocks:       new(r.o.FileLocks),
		EmptyNs:         new(r.emptyNs),
		OrphanPtsMaster: new(true),
		AutoDedup:       new(r.o.AutoDedup),
		LazyPages:       new(r.o.LazyPages),
	}
	if r.mode != nil {
		opts.ManageCgroupsMode = r.mode
	}
	if r.o.LsmProfile != "" {
		opts.LsmProfile = new(r.o.LsmProfile)
	}
	if r.o.LsmMountContext != "" {
		opts.LsmMountContext = new(r.o.LsmMountContext)
	}
	if cfgFile, set := spec.Annotations["org.criu.config"]; set {
		if cfgFile != "" {
			opts.ConfigFile = new(cfgFile)
		}
	} else {
		opts.ConfigFile = new("/etc/criu/runc.conf")
	}
	if r.o.WorkPath != "" {
		if err := os.MkdirAll(r.o.WorkPath, 0o700); err != nil {
			return fmt.Errorf("restore: --work-path: %w", err)
		}
		wd, err := os.Open(r.o.WorkPath)
		if err != nil {
			return fmt.Errorf("restore: --work-path: %w", err)
		}
		defer wd.Close()
		opts.WorkDirFd = new(int32(wd.Fd()))
		logDir = r.o.WorkPath
	}

	extra, err := r.namespaces(opts)
	defer func() {
		for _, f := range extra {
			f.Close()
		}
	}()
	if err != nil {
		return err
	}
	// The init's pipes and host files come back as the restoring
	// runtime's own stdio.
	for i, s := range r.meta.Stdio {
		if strings.HasPrefix(s, "pipe:") || strings.HasPrefix(s, "file[") {
			opts.InheritFd = append(opts.InheritFd, &criurpc.InheritFd{Key: new(s), Fd: new(int32(i))})
		}
	}
	var console *os.File
	if r.meta.Terminal {
		if console, err = consoleSocket(b); err != nil {
			return err
		}
		defer console.Close()
	}

	// The new cgroup exists before CRIU starts; CRIU joins it first and
	// puts every restored task under it (cg_root), so no process of the
	// container ever runs outside it.
	if !r.o.NoSubreaper {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return os.NewSyscallError("prctl PR_SET_CHILD_SUBREAPER", err)
		}
	}
	swrk, err := startCriu(r.criu, extra, [3]*os.File{b.stdin, b.stdout, b.stderr}, r.log)
	if err != nil {
		return err
	}
	defer swrk.close()
	if err := r.cgroup.Apply(swrk.pid()); err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	if res := cgroupResources(spec); res != nil {
		if err := r.cgroup.Set(res); err != nil {
			return fmt.Errorf("cgroup: %w", err)
		}
		raw, err := json.Marshal(res)
		if err != nil {
			return fmt.Errorf("record linux.resources: %w", err)
		}
		r.state.Resources = raw
	}
	cgPaths, err := procCgroups(swrk.pid())
	if err != nil {
		return err
	}
	for ctrl, p := range cgPaths {
		root := &criurpc.CgroupRoot{Path: new(p)}
		// The cgroup2 line ("0::/path") has no controller: without one
		// CRIU takes the path as the root of every hierarchy not named
		// otherwise, which here is only cgroup2.
		if ctrl != "" {
			root.Ctrl = new(ctrl)
		}
		opts.CgRoot = append(opts.CgRoot, root)
	}
	if err := r.externalMounts(opts, cgPaths); err != nil {
		return err
	}

	notify := func(script string, pid int, oob []byte) error {
		switch script {
		case "setup-namespaces":
			return r.runtimeHooks(ctx, pid)
		case "post-restore":
			r.pid = pid
		case "orphan-pts-master":
			return sendOrphanMaster(oob, console)
		}
		return nil
	}
	r.log.Debug("criu restore", slog.String("images", r.o.ImagePath), slog.String("root", r.criuRoot))
	if _, err := swrk.call(&criurpc.CriuReq{Type: criurpc.CriuReqType_RESTORE.Enum(), Opts: opts}, notify); err != nil {
		return criuFailure("restore", err, logDir, "restore.log")
	}
	if err := swrk.close(); err != nil {
		return criuFailure("restore", err, logDir, "restore.log")
	}
	if r.pid <= 0 {
		return fmt.Errorf("restore: %w: criu reported no restored process", ErrCriu)
	}
	st, err := readProcStat(r.pid)
	if err != nil {
		return fmt.Errorf("restored init: %w", err)
	}
	r.state.InitPid, r.state.InitStart, r.state.InitReady = r.pid, st.start, true
	r.state.NamespacePaths = make(map[specs.LinuxNamespaceType]string)
	for _, t := range namespaceOrder {
		if t == specs.UserNamespace || hasNamespace(spec.Linux, t) || t == specs.MountNamespace {
			r.state.NamespacePaths[t] = fmt.Sprintf("/proc/%d/ns/%s", r.pid, namespaces[t].proc)
		}
	}
	if err := saveState(r.dir, r.state); err != nil {
		return err
	}
	if b.pidFile != "" {
		if err := writePidFile(b.pidFile, r.pid); err != nil {
			return err
		}
	}
	return nil
}

// namespaces hands CRIU the namespaces the config joins: network and PID
// ones that were external at checkpoint as inherited fds under the keys
// of the dump, the others to join.
func (r *restore) namespaces(opts *criurpc.CriuOpts) ([]*os.File, error) {
	var extra []*os.File
	external := map[string]bool{}
	for _, t := range r.meta.Namespaces {
		external[t] = true
	}
	if r.spec.Linux == nil {
		return nil, nil
	}
	for _, ns := range r.spec.Linux.Namespaces {
		if ns.Path == "" {
			if external[string(ns.Type)] {
				return extra, fmt.Errorf("restore: the checkpoint joined a %s namespace: linux.namespaces must give its path", ns.Type)
			}
			continue
		}
		name := namespaces[ns.Type].proc
		switch ns.Type {
		case specs.NetworkNamespace, specs.PIDNamespace:
			f, err := os.Open(ns.Path)
			if err != nil {
				return extra, fmt.Errorf("restore: %s namespace path: %w", ns.Type, err)
			}
			extra = append(extra, f)
			// fd 3 is CRIU's socket; extra files follow from 4.
			opts.InheritFd = append(opts.InheritFd, &criurpc.InheritFd{Key: new(externalNsKey(name)), Fd: new(int32(3 + len(extra)))})
		case specs.CgroupNamespace:
			return extra, errors.New("restore: joining a cgroup namespace by path is not supported by CRIU")
		default:
			opts.JoinNs = append(opts.JoinNs, &criurpc.JoinNamespace{Ns: new(name), NsFile: new(ns.Path)})
		}
	}
	return extra, nil
}

// externalMounts maps each external mount of the checkpoint to its source
// now: the restore config's bind source for that destination, the new
// cgroup for a cgroup v1 hierarchy, or else the host path of the dump.
func (r *restore) externalMounts(opts *criurpc.CriuOpts, cgPaths map[string]string) error {
	binds := map[string]string{}
	for _, m := range r.spec.Mounts {
		if m.Type == "bind" || hasOption(m.Options, "bind") || hasOption(m.Options, "rbind") {
			src := m.Source
			if !filepath.IsAbs(src) {
				src = filepath.Join(r.bundle, src)
			}
			binds[filepath.Clean(m.Destination)] = src
		}
	}
	var hostMounts []*mountinfo.Info
	for _, e := range r.meta.Mounts {
		src := e.Source
		if s, ok := binds[e.Mountpoint]; ok {
			src = s
		} else if e.Cgroup != "" {
			if hostMounts == nil {
				var err error
				if hostMounts, err = mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2")); err != nil {
					return fmt.Errorf("restore: host cgroup mounts: %w", err)
				}
			}
			if p := newCgroupSource(hostMounts, cgPaths, e.Cgroup); p != "" {
				src = p
			}
		}
		if _, err := os.Stat(src); err != nil {
			return fmt.Errorf("restore: source of external mount %s: %w", e.Mountpoint, err)
		}
		r.log.Debug("criu external mount", slog.String("mountpoint", e.Mountpoint), slog.String("source", src))
		opts.ExtMnt = append(opts.ExtMnt, &criurpc.ExtMountMap{Key: new(e.Mountpoint), Val: new(src)})
	}
	return nil
}

// newCgroupSource is the host directory of the restored container's
// cgroup in the v1 hierarchy of controllers ctrls.
func newCgroupSource(host []*mountinfo.Info, cgPaths map[string]string, ctrls string) string {
	key, fstype := ctrls, "cgroup"
	if ctrls == cgroup2Key {
		key, fstype = "", "cgroup2"
	}
	rel, ok := cgPaths[key]
	if !ok {
		return ""
	}
	for _, h := range host {
		if h.Root == "/" && h.FSType == fstype && (fstype == "cgroup2" || cgroupControllers(h.VFSOptions) == ctrls) {
			return filepath.Join(h.Mountpoint, rel)
		}
	}
	return ""
}

// procCgroups reads /proc/<pid>/cgroup: controllers -> path ("" for v2).
func procCgroups(pid int) (map[string]string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) == 3 {
			out[parts[1]] = parts[2]
		}
	}
	return out, sc.Err()
}

// runtimeHooks runs prestart and createRuntime hooks once CRIU has created
// the namespaces (its "setup-namespaces" notification), as runc does.
func (r *restore) runtimeHooks(ctx context.Context, pid int) error {
	h := r.spec.Hooks
	if h == nil {
		return nil
	}
	s := r.state.ociState(StatusCreating)
	s.Pid = pid
	st, err := json.Marshal(s)
	if err != nil {
		return err
	}
	//lint:ignore SA1019 prestart is deprecated in runtime-spec, yet configs use it and it must run.
	if err := hooks.Run(ctx, h.Prestart, st, "prestart"); err != nil {
		return err
	}
	return hooks.Run(ctx, h.CreateRuntime, st, "createRuntime")
}

// sendOrphanMaster passes the restored terminal's master, which CRIU
// sends with "orphan-pts-master", on to the console socket.
func sendOrphanMaster(oob []byte, sock *os.File) error {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil || len(msgs) == 0 {
		return fmt.Errorf("restore: criu sent no pty master: %v", err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) == 0 {
		return fmt.Errorf("restore: criu sent no pty master: %v", err)
	}
	master := os.NewFile(uintptr(fds[0]), "orphan-pts-master")
	defer master.Close()
	for _, fd := range fds[1:] {
		unix.Close(fd)
	}
	if sock == nil {
		return errors.New("restore: the restored process has a terminal and no --console-socket was given")
	}
	return console.SendMaster(sock, master)
}

func (r *restore) unmountRoot() {
	if r.criuRoot == "" {
		return
	}
	if err := unix.Unmount(r.criuRoot, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
		r.log.Warn("unmount criu root", slog.String("path", r.criuRoot), slog.Any("error", err))
	}
	os.Remove(r.criuRoot)
	r.criuRoot = ""
}

// cleanup removes everything a failed restore made: restored processes
// (everything in the new cgroup), the cgroup and the state directory.
func (r *restore) cleanup() {
	if r.pid > 0 {
		_ = unix.Kill(r.pid, unix.SIGKILL)
	}
	if r.cgroup != nil {
		if pids, err := r.cgroup.AllPids(); err == nil && len(pids) > 0 {
			_ = r.cgroup.Kill(unix.SIGKILL)
		}
		// The killed tasks leave the cgroup shortly after SIGKILL.
		deadline := time.Now().Add(killTimeout)
		for {
			err := r.cgroup.Destroy()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				r.log.Warn("remove cgroup after failed restore", slog.Any("error", err))
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if r.pid > 0 {
		var ws unix.WaitStatus
		_, _ = unix.Wait4(r.pid, &ws, unix.WNOHANG, nil)
	}
	r.unmountRoot()
	if err := os.RemoveAll(r.dir); err != nil {
		r.log.Warn("remove state directory after failed restore", slog.Any("error", err))
	}
}

// criuRootDir is the rootfs bind CRIU restores into, in the state
// directory.
const criuRootDir = "criu-root"

// unmountCriuRoot removes what a restore killed during CRIU's run left in
// the state directory dir; nothing when there is nothing.
func unmountCriuRoot(dir string) {
	p := filepath.Join(dir, criuRootDir)
	if _, err := os.Lstat(p); err != nil {
		return
	}
	_ = unix.Unmount(p, unix.MNT_DETACH)
	_ = os.Remove(p)
}

// makeRestoreMountpoints creates in a (possibly fresh) rootfs the mount
// points create would have made, since CRIU mounts onto existing paths only:
// a file for a bind of a file, else a directory. Paths under a tmpfs mount
// are left alone (CRIU restores the tmpfs with its content), and so are
// cgroup mounts. Everything is created through pathrs, inside the rootfs.
func makeRestoreMountpoints(rootfs, bundle string, mounts []specs.Mount) error {
	var tmpfs []string
	for _, m := range mounts {
		if m.Type == "tmpfs" {
			tmpfs = append(tmpfs, filepath.Clean(m.Destination))
		}
	}
	root, err := os.OpenFile(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("restore: rootfs: %w", err)
	}
	defer root.Close()
outer:
	for _, m := range mounts {
		dest := filepath.Clean(m.Destination)
		if m.Type == "cgroup" || m.Type == "cgroup2" || dest == "/" {
			continue
		}
		for _, t := range tmpfs {
			if strings.HasPrefix(dest, t+"/") {
				continue outer
			}
		}
		file := false
		if m.Type == "bind" || hasOption(m.Options, "bind") || hasOption(m.Options, "rbind") {
			src := m.Source
			if !filepath.IsAbs(src) {
				src = filepath.Join(bundle, src)
			}
			if st, err := os.Stat(src); err == nil && !st.IsDir() {
				file = true
			}
		}
		dir := dest
		if file {
			dir = filepath.Dir(dest)
		}
		h, err := pathrs.MkdirAllHandle(root, dir, 0o755)
		if err != nil {
			return fmt.Errorf("restore: mount point %s: %w", dest, err)
		}
		if file {
			fd, err := unix.Openat(int(h.Fd()), filepath.Base(dest), unix.O_CREAT|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
			if err == nil {
				unix.Close(fd)
			} else if err != unix.EEXIST && err != unix.EISDIR && err != unix.ELOOP {
				h.Close()
				return fmt.Errorf("restore: mount point %s: %w", dest, &os.PathError{Op: "create", Path: dest, Err: err})
			}
		}
		h.Close()
	}
	return nil
}
