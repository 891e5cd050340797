package libcontainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	criurpc "github.com/checkpoint-restore/go-criu/v8/rpc"
	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcontainer/internal/validate"
)

// checkpointMetaFile is what the runtime adds to a CRIU image directory:
// the external mounts and stdio the restore must provide.
const checkpointMetaFile = "gocontainer-checkpoint.json"

// CheckpointOptions are runc's checkpoint flags.
type CheckpointOptions struct {
	ImagePath         string // where the images go (created 0700 if missing)
	WorkPath          string // CRIU's logs and work files; default: ImagePath
	ParentPath        string // previous pre-dump images, relative to ImagePath
	LeaveRunning      bool
	TCPEstablished    bool
	TCPSkipInFlight   bool
	LinkRemap         bool
	ExtUnixSk         bool
	ShellJob          bool
	LazyPages         bool
	StatusFd          int    // -1: none; gets a \0 once the lazy-pages server listens
	PageServer        string // ADDRESS:PORT
	FileLocks         bool
	PreDump           bool
	ManageCgroupsMode string   // "", soft, full, strict, ignore
	EmptyNs           []string // namespace names ("network", "net", ...)
	AutoDedup         bool
}

// checkpointMeta is checkpointMetaFile's content.
type checkpointMeta struct {
	ID     string `json:"id"`
	Bundle string `json:"bundle"`
	// Stdio is what the init's fds 0-2 were ("pipe:[123]", "/dev/null"):
	// pipes are handed to the restored process from the restoring
	// runtime's own stdio, as runc does.
	Stdio []string `json:"stdio"`
	// Mounts are the mounts CRIU was told are external, keyed by their
	// mount point in the container.
	Mounts []externalMount `json:"external_mounts,omitempty"`
	// Namespaces are the joined (config path) namespaces CRIU left out:
	// the restore must provide them again.
	Namespaces []string `json:"external_namespaces,omitempty"`
	// Terminal: the init's stdio was a pty, whose master the restore
	// sends to --console-socket.
	Terminal bool `json:"terminal,omitempty"`
}

// externalMount is a bind mount whose source is outside the container.
type externalMount struct {
	Mountpoint string `json:"mountpoint"`
	// Source is the host path at checkpoint time.
	Source string `json:"source"`
	// Cgroup holds the controllers of a cgroup v1 bind (cgroup2Key for a
	// cgroup2 bind): its source becomes the restored container's own
	// cgroup.
	Cgroup string `json:"cgroup,omitempty"`
}

// cgroup2Key marks a bind of the cgroup2 hierarchy in externalMount.Cgroup.
const cgroup2Key = "cgroup2"

// criuNsFlags maps --empty-ns names to CLONE flags.
var criuNsFlags = map[string]uint32{
	"network": unix.CLONE_NEWNET, "net": unix.CLONE_NEWNET,
}

func emptyNsMask(names []string) (uint32, error) {
	var m uint32
	for _, n := range names {
		f, ok := criuNsFlags[n]
		if !ok {
			return 0, fmt.Errorf("--empty-ns %q: only network is supported (as with runc)", n)
		}
		m |= f
	}
	return m, nil
}

func cgroupsMode(m string) (*criurpc.CriuCgMode, error) {
	switch m {
	case "":
		return nil, nil
	case "soft":
		return criurpc.CriuCgMode_SOFT.Enum(), nil
	case "full":
		return criurpc.CriuCgMode_FULL.Enum(), nil
	case "strict":
		return criurpc.CriuCgMode_STRICT.Enum(), nil
	case "ignore":
		return criurpc.CriuCgMode_IGNORE.Enum(), nil
	}
	return nil, fmt.Errorf("--manage-cgroups-mode %q: want soft, full, strict or ignore", m)
}

// Checkpoint dumps the container's processes with CRIU into
// o.ImagePath. Unless o.LeaveRunning or o.PreDump, the processes end with
// the dump and the container is deleted (its poststop hooks run), as with
// runc: restore brings it back.
func (c *Container) Checkpoint(ctx context.Context, o CheckpointOptions) error {
	l, err := c.lock()
	if err != nil {
		return err
	}
	defer l.Close()
	if st := c.Status(); st != StatusRunning && st != StatusPaused {
		return fmt.Errorf("cannot checkpoint container %q: it is %s: %w", c.state.ID, st, ErrNotRunning)
	}
	if o.ImagePath == "" {
		return errors.New("checkpoint: --image-path is empty")
	}
	criu, err := CriuBinary()
	if err != nil {
		return err
	}
	emptyNs, err := emptyNsMask(o.EmptyNs)
	if err != nil {
		return err
	}
	mode, err := cgroupsMode(o.ManageCgroupsMode)
	if err != nil {
		return err
	}
	spec, err := c.bundleSpec()
	if err != nil {
		return err
	}

	createdImage := false
	if err := os.Mkdir(o.ImagePath, 0o700); err == nil {
		createdImage = true
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("checkpoint: --image-path %s: %w", o.ImagePath, err)
	}
	// A directory made here goes again when the checkpoint fails before
	// CRIU ran; after a CRIU failure it stays, with the log the error
	// names.
	keepImage := false
	defer func() {
		if !keepImage && createdImage {
			os.RemoveAll(o.ImagePath)
		}
	}()
	imageDir, err := os.Open(o.ImagePath)
	if err != nil {
		return fmt.Errorf("checkpoint: --image-path: %w", err)
	}
	defer imageDir.Close()
	if o.ParentPath != "" {
		parent := o.ParentPath
		if !filepath.IsAbs(parent) {
			parent = filepath.Join(o.ImagePath, parent)
		}
		if _, err := os.Stat(filepath.Join(parent, "inventory.img")); err != nil {
			return fmt.Errorf("checkpoint: --parent-path %s: no pre-dump images there: %w", o.ParentPath, err)
		}
	}

	logDir := o.ImagePath
	opts := &criurpc.CriuOpts{
		ImagesDirFd:     new(int32(imageDir.Fd())),
		LogLevel:        new(int32(4)),
		LogFile:         new("dump.log"),
		Root:            new(c.state.Rootfs),
		Pid:             new(int32(c.state.InitPid)),
		ManageCgroups:   new(true),
		NotifyScripts:   new(true),
		ShellJob:        new(o.ShellJob),
		LeaveRunning:    new(o.LeaveRunning),
		TcpEstablished:  new(o.TCPEstablished),
		TcpSkipInFlight: new(o.TCPSkipInFlight),
		LinkRemap:       new(o.LinkRemap),
		ExtUnixSk:       new(o.ExtUnixSk),
		FileLocks:       new(o.FileLocks),
		EmptyNs:         new(emptyNs),
		OrphanPtsMaster: new(true),
		AutoDedup:       new(o.AutoDedup),
		LazyPages:       new(o.LazyPages),
	}
	if mode != nil {
		opts.ManageCgroupsMode = mode
	}
	if o.WorkPath != "" {
		if err := os.MkdirAll(o.WorkPath, 0o700); err != nil {
			return fmt.Errorf("checkpoint: --work-path: %w", err)
		}
		wd, err := os.Open(o.WorkPath)
		if err != nil {
			return fmt.Errorf("checkpoint: --work-path: %w", err)
		}
		defer wd.Close()
		opts.WorkDirFd = new(int32(wd.Fd()))
		logDir = o.WorkPath
	}
	if o.ParentPath != "" || o.PreDump {
		// A pre-dump leaves the tasks running and relies on soft-dirty
		// page bits to tell the next dump which pages changed; CRIU
		// cannot pre-dump without them (runc checks the same feature).
		track, err := criuMemTrack(criu, c.logger)
		if err != nil {
			return fmt.Errorf("checkpoint: criu feature check: %w", err)
		}
		if !track {
			what := "--pre-dump"
			if !o.PreDump {
				what = "--parent-path"
			}
			return fmt.Errorf("checkpoint: %w: %s needs dirty memory tracking, which this kernel lacks (built without CONFIG_MEM_SOFT_DIRTY)", ErrCriu, what)
		}
		opts.TrackMem = new(true)
		if o.ParentPath != "" {
			opts.ParentImg = new(o.ParentPath)
		}
	}
	if o.PageServer != "" {
		host, port, err := net.SplitHostPort(o.PageServer)
		if err != nil {
			return fmt.Errorf("checkpoint: --page-server %q: %w", o.PageServer, err)
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return fmt.Errorf("checkpoint: --page-server %q: port: %w", o.PageServer, err)
		}
		opts.Ps = &criurpc.CriuPageServerInfo{Address: new(host), Port: new(int32(p))}
	}
	// The freezer cgroup stops the whole tree at once (a paused container
	// stays frozen); without it CRIU stops each task with ptrace.
	if cg, err := c.cgroup(); err == nil {
		if fz := cg.Paths()["freezer"]; fz != "" {
			opts.FreezeCgroup = new(fz)
		}
	}
	if cfgFile, set := spec.Annotations["org.criu.config"]; set {
		// runc's annotation: a container-specific CRIU config file ("" for none).
		if cfgFile != "" {
			opts.ConfigFile = new(cfgFile)
		}
	} else {
		opts.ConfigFile = new("/etc/criu/runc.conf")
	}
	if o.LazyPages && o.StatusFd >= 0 {
		flags, err := unix.FcntlInt(uintptr(o.StatusFd), unix.F_GETFL, 0)
		if err != nil {
			return fmt.Errorf("checkpoint: --status-fd %d: %w", o.StatusFd, err)
		}
		if flags&(unix.O_WRONLY|unix.O_RDWR) == 0 {
			return fmt.Errorf("checkpoint: --status-fd %d is not writable", o.StatusFd)
		}
	}

	meta := &checkpointMeta{ID: c.state.ID, Bundle: c.state.Bundle}
	if err := c.describeExternals(spec, opts, meta); err != nil {
		return err
	}
	if !o.PreDump {
		raw, err := json.Marshal(meta)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(o.ImagePath, checkpointMetaFile), raw, 0o600); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}

	reqType := criurpc.CriuReqType_DUMP
	if o.PreDump {
		reqType = criurpc.CriuReqType_PRE_DUMP
	}
	c.logger.Debug("criu dump", slog.String("type", reqType.String()), slog.String("images", o.ImagePath), slog.Int("pid", c.state.InitPid))
	swrk, err := startCriu(criu, nil, [3]*os.File{nil, nil, nil}, c.logger)
	if err != nil {
		return err
	}
	notify := func(script string, _ int, _ []byte) error {
		if script == "status-ready" && o.StatusFd >= 0 {
			// The lazy-pages server listens: tell whoever waits on the fd.
			_, werr := unix.Write(o.StatusFd, []byte{0})
			unix.Close(o.StatusFd)
			o.StatusFd = -1
			return werr
		}
		return nil
	}
	keepImage = true
	_, callErr := swrk.call(&criurpc.CriuReq{Type: reqType.Enum(), Opts: opts}, notify)
	closeErr := swrk.close()
	if callErr != nil {
		return criuFailure("checkpoint", callErr, logDir, "dump.log")
	}
	if closeErr != nil && !o.PreDump {
		// After a pre-dump CRIU waits for a next request and ends on EOF
		// with an error of its own; after a dump its exit status counts.
		return criuFailure("checkpoint", closeErr, logDir, "dump.log")
	}
	if o.LeaveRunning || o.PreDump {
		return nil
	}
	// The processes are gone with the dump: delete the container as runc
	// does, so that restore can take the id again.
	return c.destroy(ctx)
}

// bundleSpec reads the container's config.json from its bundle; checkpoint
// needs its mounts and namespace paths, which state.json does not keep.
func (c *Container) bundleSpec() (*specs.Spec, error) {
	spec, _, err := validate.ReadBundle(c.state.Bundle)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: bundle of container %q: %w", c.state.ID, err)
	}
	return spec, nil
}

// describeExternals tells CRIU what it must not dump because it lives
// outside the container: joined namespaces and bind mounts of host paths
// (bind volumes, cgroup v1 hierarchies, bind-mounted devices). Masked
// paths bind the container's own /dev/null and read-only paths bind
// themselves: CRIU dumps both as internal binds.
func (c *Container) describeExternals(spec *specs.Spec, opts *criurpc.CriuOpts, meta *checkpointMeta) error {
	pid := c.state.InitPid
	if spec.Linux != nil {
		for _, ns := range spec.Linux.Namespaces {
			if ns.Path == "" || (ns.Type != specs.NetworkNamespace && ns.Type != specs.PIDNamespace) {
				continue
			}
			// CRIU's form: --external <type>[<inode>]:<key>.
			var st unix.Stat_t
			if err := unix.Stat(ns.Path, &st); err != nil {
				return fmt.Errorf("checkpoint: namespace %s path %s: %w", ns.Type, ns.Path, err)
			}
			name := namespaces[ns.Type].proc
			opts.External = append(opts.External, fmt.Sprintf("%s[%d]:%s", name, st.Ino, externalNsKey(name)))
			meta.Namespaces = append(meta.Namespaces, string(ns.Type))
		}
	}
	ctrMounts, err := pidMounts(pid)
	if err != nil {
		return fmt.Errorf("checkpoint: mounts of the container init: %w", err)
	}
	for i := range 3 {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, i))
		if err != nil {
			target = ""
		}
		if strings.HasPrefix(target, "/dev/pts/") {
			meta.Terminal = true
		}
		// A regular file the caller gave as stdio (run -d >log) lives on
		// a host mount CRIU cannot find in the container: dump it as an
		// external file, which the restore hands over from its own stdio.
		if key := externalStdioFile(pid, i, ctrMounts); key != "" {
			opts.External = append(opts.External, key)
			target = key
		}
		meta.Stdio = append(meta.Stdio, target)
	}

	ext, err := externalMounts(ctrMounts, spec)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	for _, m := range ext {
		opts.ExtMnt = append(opts.ExtMnt, &criurpc.ExtMountMap{Key: new(m.Mountpoint), Val: new(m.Mountpoint)})
		c.logger.Debug("criu external mount", slog.String("mountpoint", m.Mountpoint), slog.String("source", m.Source))
	}
	meta.Mounts = ext
	return nil
}

func externalNsKey(proc string) string {
	return "extRoot" + strings.ToUpper(proc[:1]) + proc[1:] + "NS"
}

// externalMounts lists the container's mounts whose source is outside the
// container: every bind destination of the config, and every mount whose
// root is a sub-tree of a filesystem no other container mount shows (a
// bind from the host). The host source is found in the runtime's own
// mount table.
func externalMounts(ctr []*mountinfo.Info, spec *specs.Spec) ([]externalMount, error) {
	host, err := mountinfo.GetMounts(nil)
	if err != nil {
		return nil, fmt.Errorf("host mounts: %w", err)
	}
	binds := map[string]bool{}
	for _, m := range spec.Mounts {
		if m.Type == "bind" || hasOption(m.Options, "bind") || hasOption(m.Options, "rbind") {
			binds[filepath.Clean(m.Destination)] = true
		}
	}
	var out []externalMount
	for _, m := range ctr {
		if m.Mountpoint == "/" {
			continue // the rootfs: CRIU's --root
		}
		if !binds[m.Mountpoint] && (m.Root == "/" || coveredInside(ctr, m)) {
			continue
		}
		src := hostPath(host, m)
		if src == "" {
			if !binds[m.Mountpoint] {
				continue
			}
			src = m.Root
		}
		e := externalMount{Mountpoint: m.Mountpoint, Source: src}
		switch m.FSType {
		case "cgroup":
			e.Cgroup = cgroupControllers(m.VFSOptions)
		case "cgroup2":
			e.Cgroup = cgroup2Key
		}
		out = append(out, e)
	}
	return out, nil
}

func hasOption(opts []string, o string) bool {
	for _, x := range opts {
		if x == o {
			return true
		}
	}
	return false
}

// coveredInside: another container mount of the same filesystem shows
// m's root (so m is a bind from inside the container).
func coveredInside(all []*mountinfo.Info, m *mountinfo.Info) bool {
	for _, p := range all {
		if p == m || p.Major != m.Major || p.Minor != m.Minor || p.Mountpoint == m.Mountpoint {
			continue
		}
		if p.Root == "/" || m.Root == p.Root || strings.HasPrefix(m.Root, p.Root+"/") {
			return true
		}
	}
	return false
}

// hostPath finds m's source in the runtime's mount table: a host mount of
// the same filesystem whose root contains m's root.
func hostPath(host []*mountinfo.Info, m *mountinfo.Info) string {
	best := ""
	bestRoot := -1
	for _, h := range host {
		if h.Major != m.Major || h.Minor != m.Minor {
			continue
		}
		var rel string
		switch {
		case h.Root == m.Root:
			rel = ""
		case h.Root == "/":
			rel = m.Root
		case strings.HasPrefix(m.Root, h.Root+"/"):
			rel = strings.TrimPrefix(m.Root, h.Root)
		default:
			continue
		}
		if len(h.Root) > bestRoot {
			best, bestRoot = filepath.Join(h.Mountpoint, rel), len(h.Root)
		}
	}
	return best
}

// cgroupControllers picks the controller list out of a cgroup v1 mount's
// super options ("rw,memory" -> "memory", "rw,cpu,cpuacct" -> "cpu,cpuacct").
func cgroupControllers(vfs string) string {
	var out []string
	for _, o := range strings.Split(vfs, ",") {
		switch {
		case o == "rw" || o == "ro" || (strings.Contains(o, "=") && !strings.HasPrefix(o, "name=")) || o == "xattr" || o == "noprefix" || o == "clone_children":
		default:
			out = append(out, o)
		}
	}
	return strings.Join(out, ",")
}

// externalStdioFile is CRIU's external key ("file[MNTID:INODE]", both hex)
// of the init's fd when it is a regular file on a mount outside the
// container; "" otherwise.
func externalStdioFile(pid, fd int, ctr []*mountinfo.Info) string {
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/fd/%d", pid, fd), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return ""
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
	if err != nil {
		return ""
	}
	mnt := -1
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "mnt_id:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				mnt = n
			}
		}
	}
	if mnt < 0 {
		return ""
	}
	for _, m := range ctr {
		if m.ID == mnt {
			return ""
		}
	}
	return fmt.Sprintf("file[%x:%x]", mnt, st.Ino)
}

// pidMounts is the mount table of process pid (its mount namespace, paths
// relative to its root).
func pidMounts(pid int) ([]*mountinfo.Info, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return mountinfo.GetMountsFromReader(f, nil)
}
