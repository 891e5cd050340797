package rootfs

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	lsys "github.com/gocontainer/gocontainer/libcontainer/syscall"
)

// mount performs one OCI mount.
func (st *setup) mount(m *specs.Mount) error {
	dest := cleanDest(m.Destination)
	mo, err := parseMountOptions(m.Options)
	if err != nil {
		return fmt.Errorf("mount %s on %s: %w", m.Type, dest, err)
	}
	typ := m.Type
	if mo.Flags&unix.MS_BIND != 0 || typ == "bind" {
		return st.mountBind(m, dest, mo)
	}
	if mo.TmpCopyUp && typ != "tmpfs" {
		return fmt.Errorf("mount %s on %s: option tmpcopyup is only valid for tmpfs", typ, dest)
	}
	if typ == "" {
		return fmt.Errorf("mount on %s: mount type is empty and the mount is not a bind mount", dest)
	}
	if err := st.checkProcDest(m, dest, mo); err != nil {
		return err
	}
	if typ == "cgroup" {
		return st.mountCgroup(m, dest, mo)
	}
	if typ == "tmpfs" {
		mo.Data = st.keepTmpfsMode(dest, mo.Data)
	}
	var h *os.File
	if typ == "proc" || typ == "sysfs" {
		h, err = st.realDirDest(dest)
	} else {
		h, err = st.dirDest(dest)
	}
	if err != nil {
		return err
	}
	defer h.Close()
	// Check again where the destination really resolved to: a symlink
	// inside the rootfs may lead into /proc.
	if err := st.checkProcDest(m, st.handlePath(h), mo); err != nil {
		return err
	}
	return st.mountFresh(m, dest, h, mo)
}

// keepTmpfsMode adds mode= of the existing directory dest to a tmpfs's
// data when it has none, so the mount keeps the directory's mode (a 0712
// directory stays 0712, not tmpfs's 1777), as runc and crun do. A
// directory the runtime creates gets tmpfs's default.
func (st *setup) keepTmpfsMode(dest, data string) string {
	for _, o := range strings.Split(data, ",") {
		if strings.HasPrefix(o, "mode=") {
			return data
		}
	}
	h, err := pathrs.OpenatInRoot(st.root, dest)
	if err != nil {
		return data
	}
	defer h.Close()
	var stat unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &stat); err != nil || stat.Mode&unix.S_IFMT != unix.S_IFDIR {
		return data
	}
	mode := fmt.Sprintf("mode=%o", stat.Mode&0o7777)
	if data == "" {
		return mode
	}
	return data + "," + mode
}

// mountFresh mounts a new filesystem (not a bind) on the handle h.
func (st *setup) mountFresh(m *specs.Mount, dest string, h *os.File, mo mountOptions) error {
	flags := mo.Flags
	// As in runc, tmpfs and /dev are mounted read-write first so devices
	// can be created and tmpcopyup can copy; Finalize makes them read-only.
	if m.Type == "tmpfs" || dest == "/dev" {
		flags &^= unix.MS_RDONLY
	}
	source := m.Source
	if source == "" {
		source = m.Type
	}
	err := st.doMount(source, dest, h, m.Type, flags, st.labelData(m.Type, mo.Data))
	if err != nil && m.Type == "sysfs" && st.o.InUserNS && errors.Is(err, unix.EPERM) {
		// A user namespace that does not own the network namespace may
		// not mount sysfs; like runc, bind the host's /sys instead.
		st.log.Debug("sysfs mount not permitted in user namespace, binding /sys", slog.String("dest", dest))
		return st.mountBind(&specs.Mount{Destination: dest, Type: "bind", Source: "/sys"}, dest,
			mountOptions{Flags: mo.Flags | unix.MS_BIND | unix.MS_REC, Propagation: mo.Propagation, RecAttr: mo.RecAttr})
	}
	if err != nil && m.Type == "mqueue" && st.o.InUserNS && errors.Is(err, unix.EPERM) {
		// Same for mqueue when the container shares the caller's IPC
		// namespace (rootless without an ipc namespace): bind the
		// caller's /dev/mqueue, where runc 1.1 fails.
		if _, serr := os.Stat("/dev/mqueue"); serr != nil {
			return fmt.Errorf("%w (a user namespace may only mount mqueue with its own ipc namespace, and the host has no /dev/mqueue to bind)", err)
		}
		st.log.Debug("mqueue mount not permitted in user namespace, binding /dev/mqueue", slog.String("dest", dest))
		return st.mountBind(&specs.Mount{Destination: dest, Type: "bind", Source: "/dev/mqueue"}, dest,
			mountOptions{Flags: mo.Flags | unix.MS_BIND | unix.MS_REC, Propagation: mo.Propagation, RecAttr: mo.RecAttr})
	}
	if err != nil {
		return err
	}
	top, err := st.reopen(dest)
	if err != nil {
		return err
	}
	defer top.Close()
	if mo.TmpCopyUp {
		if err := st.copyUp(dest, h, top); err != nil {
			return err
		}
	}
	return st.afterMount(dest, top, mo)
}

// mountBind bind-mounts m.Source (relative to the bundle) on dest, then
// remounts it to apply flags a bind ignores (ro, nosuid, ...).
func (st *setup) mountBind(m *specs.Mount, dest string, mo mountOptions) error {
	src := m.Source
	if src == "" {
		return fmt.Errorf("mount bind on %s: source is empty", dest)
	}
	if !filepath.IsAbs(src) {
		if st.o.Bundle == "" {
			return fmt.Errorf("mount bind %s on %s: relative source needs Options.Bundle", src, dest)
		}
		src = filepath.Join(st.o.Bundle, src)
	}
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("mount bind %s on %s: source: %w", src, dest, err)
	}
	if err := st.checkProcDest(m, dest, mo); err != nil {
		return err
	}
	h, err := st.bindDest(m, dest, fi.IsDir(), mo)
	if err != nil {
		return err
	}
	defer h.Close()
	flags := uintptr(unix.MS_BIND) | mo.Flags&unix.MS_REC
	if err := st.doMount(src, dest, h, "bind", flags, ""); err != nil {
		return err
	}
	return st.finishBind(dest, mo)
}

// finishBind applies to the bind now at dest what a bind mount ignores
// (ro, nosuid, ... by remount), the read-only cgroupfs submounts of an
// rbind,ro, then propagation and recursive attributes.
func (st *setup) finishBind(dest string, mo mountOptions) error {
	top, err := st.reopen(dest)
	if err != nil {
		return err
	}
	defer top.Close()
	if extra := mo.Flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT); extra != 0 {
		if err := st.remountBind(dest, top, extra); err != nil {
			return err
		}
	}
	if mo.Flags&unix.MS_REC != 0 && mo.Flags&unix.MS_RDONLY != 0 {
		if err := st.readOnlyCgroupSubmounts(dest, top); err != nil {
			return err
		}
	}
	return st.afterMount(dest, top, mo)
}

// readOnlyCgroupSubmounts makes every cgroupfs mount that an "rbind,ro"
// bind brought along read-only too. "ro" applies to the top of a bind
// only, so `runc spec --rootless`'s /sys ("rbind", "ro") would otherwise
// hand the container the host's cgroup hierarchies writable, and with them
// the cgroup a rootless user was delegated (CVE-2023-25809). Other
// submounts keep their flags, as the option means (rro makes them all
// read-only).
func (st *setup) readOnlyCgroupSubmounts(dest string, top *os.File) error {
	abs, err := os.Readlink(lsys.FdPath(int(top.Fd())))
	if err != nil {
		return fmt.Errorf("read-only cgroup submounts of %s: %w", dest, err)
	}
	mounts, err := st.s.MountInfo()
	if err != nil {
		return fmt.Errorf("read-only cgroup submounts of %s: read mountinfo: %w", dest, err)
	}
	for _, m := range mounts {
		if m.FSType != "cgroup" && m.FSType != "cgroup2" {
			continue
		}
		rel, ok := strings.CutPrefix(m.Mountpoint, abs+"/")
		if !ok {
			continue
		}
		sub := path.Join(dest, rel)
		h, err := st.reopen(sub)
		if err != nil {
			return err
		}
		var sfs unix.Statfs_t
		err = st.s.Fstatfs(int(h.Fd()), &sfs)
		if err == nil && sfs.Type != unix.CGROUP_SUPER_MAGIC && sfs.Type != unix.CGROUP2_SUPER_MAGIC {
			err = fmt.Errorf("not a cgroup filesystem (magic %#x)", sfs.Type)
		}
		if err == nil {
			st.log.Debug("cgroup submount of a read-only rbind made read-only", slog.String("dest", sub))
			err = st.s.MountSetattr(int(h.Fd()), "", unix.AT_EMPTY_PATH, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
		}
		h.Close()
		if err != nil {
			return fmt.Errorf("make cgroup submount %s of %s read-only: %w", sub, dest, err)
		}
	}
	return nil
}

// bindDest resolves the destination of a bind (a directory or a file, as
// its source is) inside the rootfs, creating it if missing, and checks
// where it really resolved to: a symlink inside the rootfs may lead into
// /proc.
func (st *setup) bindDest(m *specs.Mount, dest string, dir bool, mo mountOptions) (*os.File, error) {
	var h *os.File
	var err error
	if dir {
		h, err = st.dirDest(dest)
	} else {
		h, err = st.fileDest(dest)
	}
	if err != nil {
		return nil, err
	}
	if err := st.checkProcDest(m, st.handlePath(h), mo); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// remountBind applies flags to the bind mount at top. Inside a user
// namespace, flags locked by the source mount (nodev, nosuid, ...) cannot be
// cleared; on EPERM retry keeping the source's flags, as runc does.
func (st *setup) remountBind(dest string, top *os.File, flags uintptr) error {
	remount := uintptr(unix.MS_BIND|unix.MS_REMOUNT) | flags
	target := lsys.FdPath(int(top.Fd()))
	st.log.Debug("remount bind", slog.String("dest", dest), slog.String("flags", lsys.MountFlagsString(remount)))
	err := st.s.Mount("", target, "", remount, "")
	if errors.Is(err, unix.EPERM) {
		var sfs unix.Statfs_t
		if serr := st.s.Fstatfs(int(top.Fd()), &sfs); serr == nil {
			locked := uintptr(sfs.Flags) & (unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC |
				unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME)
			if locked&^remount != 0 {
				remount |= locked
				err = st.s.Mount("", target, "", remount, "")
			}
		}
	}
	if err != nil {
		return fmt.Errorf("remount bind on %s (flags %#x): %w", dest, remount, err)
	}
	return nil
}

// afterMount applies propagation and recursive attributes to the mount
// whose root is top.
func (st *setup) afterMount(dest string, top *os.File, mo mountOptions) error {
	for _, p := range mo.Propagation {
		st.log.Debug("set mount propagation", slog.String("dest", dest), slog.String("flags", lsys.MountFlagsString(p)))
		if err := st.s.Mount("", lsys.FdPath(int(top.Fd())), "", p, ""); err != nil {
			return fmt.Errorf("set propagation on %s (flags %#x): %w", dest, p, err)
		}
	}
	if mo.RecAttr != nil {
		st.log.Debug("set recursive mount attributes", slog.String("dest", dest))
		if err := st.s.MountSetattr(int(top.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, mo.RecAttr); err != nil {
			return fmt.Errorf("mount_setattr on %s (set %#x clear %#x): %w", dest, mo.RecAttr.Attr_set, mo.RecAttr.Attr_clr, err)
		}
	}
	return nil
}

// doMount mounts onto the magic link of handle h, so the destination cannot
// be swapped between resolution and mount.
func (st *setup) doMount(source, dest string, h *os.File, fstype string, flags uintptr, data string) error {
	st.log.Debug("mount", slog.String("source", source), slog.String("dest", dest), slog.String("type", fstype),
		slog.String("flags", lsys.MountFlagsString(flags)), slog.String("data", data))
	if err := st.s.Mount(source, lsys.FdPath(int(h.Fd())), fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s (flags %#x): %w", fstype, dest, flags, err)
	}
	return nil
}

// reopen resolves dest again after a mount: the pre-mount handle still
// refers to the covered directory, not to the new mount.
func (st *setup) reopen(dest string) (*os.File, error) {
	h, err := openInRoot(st.root, dest)
	if err != nil {
		return nil, fmt.Errorf("reopen mount destination %s after mount: %w", dest, err)
	}
	return h, nil
}

// dirDest returns an O_PATH handle on dest inside the root, creating
// missing directories root-relatively.
func (st *setup) dirDest(dest string) (*os.File, error) {
	h, err := openInRoot(st.root, dest)
	if err == nil {
		return h, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open mount destination %s: %w", dest, err)
	}
	h, err = pathrs.MkdirAllHandle(st.root, st.resolveInRoot(dest), 0o755)
	if err != nil {
		return nil, fmt.Errorf("create mount destination directory %s: %w", dest, err)
	}
	return h, nil
}

// resolveInRoot follows the symlinks of dest inside the rootfs, the way
// the kernel would with the rootfs as "/", and returns the container path
// they lead to. A mount destination that is a dangling symlink (say /data ->
// /srv/data, with no /srv) then gets its target created inside the rootfs,
// as runc does; a symlink pointing at a host path resolves inside the
// rootfs too, so nothing is ever created on the host. The result is only a
// path to create: creation and the mount itself still go through handles
// resolved in the root.
func (st *setup) resolveInRoot(dest string) string {
	resolved, err := securejoin.SecureJoin(st.o.Rootfs, dest)
	if err != nil {
		return dest
	}
	rel, err := filepath.Rel(st.o.Rootfs, resolved)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return dest
	}
	return "/" + rel
}

// fileDest returns an O_PATH handle on dest, creating an empty file (and
// its parent directories) root-relatively if it is missing.
func (st *setup) fileDest(dest string) (*os.File, error) {
	h, err := openInRoot(st.root, dest)
	if err == nil {
		return h, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open mount destination %s: %w", dest, err)
	}
	if err := st.createFile(st.resolveInRoot(dest)); err != nil {
		return nil, err
	}
	h, err = openInRoot(st.root, dest)
	if err != nil {
		return nil, fmt.Errorf("open mount destination %s: %w", dest, err)
	}
	return h, nil
}

// createFile creates an empty regular file at dest (root-relative);
// an existing entry is left alone.
func (st *setup) createFile(dest string) error {
	parent, err := mkdirAllInRoot(st.root, filepath.Dir(dest), 0o755)
	if err != nil {
		return fmt.Errorf("create parent directory of %s: %w", dest, err)
	}
	defer parent.Close()
	fd, err := unix.Openat(int(parent.Fd()), filepath.Base(dest), unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil {
		if errors.Is(err, unix.EEXIST) {
			return nil
		}
		return fmt.Errorf("create mount destination file %s: %w", dest, err)
	}
	return unix.Close(fd)
}

// realDirDest is dirDest for /proc and /sys style destinations, which must
// be real directories: a symlink there could redirect the procfs mount and
// with it every later /proc write (CVE-2019-19921, CVE-2023-27561).
func (st *setup) realDirDest(dest string) (*os.File, error) {
	if dest == "/" {
		return nil, fmt.Errorf("mount destination / is not allowed for this mount type")
	}
	parent, err := mkdirAllInRoot(st.root, filepath.Dir(dest), 0o755)
	if err != nil {
		return nil, fmt.Errorf("create parent directory of %s: %w", dest, err)
	}
	defer parent.Close()
	base := filepath.Base(dest)
	var stt unix.Stat_t
	err = unix.Fstatat(int(parent.Fd()), base, &stt, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case errors.Is(err, unix.ENOENT):
		if err := st.s.Mkdirat(int(parent.Fd()), base, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("create mount destination directory %s: %w", dest, err)
		}
	case err != nil:
		return nil, fmt.Errorf("stat mount destination %s: %w", dest, err)
	case stt.Mode&unix.S_IFMT == unix.S_IFLNK:
		return nil, fmt.Errorf("mount destination %s %w", dest, ErrSymlinkDestination)
	case stt.Mode&unix.S_IFMT != unix.S_IFDIR:
		return nil, fmt.Errorf("mount destination %s is not a directory", dest)
	}
	fd, err := unix.Openat(int(parent.Fd()), base, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
			return nil, fmt.Errorf("mount destination %s %w", dest, ErrSymlinkDestination)
		}
		return nil, fmt.Errorf("open mount destination %s: %w", dest, err)
	}
	return os.NewFile(uintptr(fd), dest), nil
}

// procAllowList are the files below /proc that may be covered by a mount
// that is not itself from procfs (lxcfs and friends), as in runc.
var procAllowList = map[string]bool{
	"/proc/cpuinfo":                true,
	"/proc/diskstats":              true,
	"/proc/meminfo":                true,
	"/proc/stat":                   true,
	"/proc/swaps":                  true,
	"/proc/uptime":                 true,
	"/proc/loadavg":                true,
	"/proc/slabinfo":               true,
	"/proc/pressure/cpu":           true,
	"/proc/pressure/io":            true,
	"/proc/pressure/memory":        true,
	"/proc/sys/kernel/ns_last_pid": true,
}

// checkProcDest refuses mounts that would shadow procfs files the runtime
// later trusts (CVE-2019-16884): on /proc only procfs, below /proc only
// procfs-backed binds or the lxcfs allow-list.
func (st *setup) checkProcDest(m *specs.Mount, dest string, mo mountOptions) error {
	if !isUnder(dest, "/proc") {
		return nil
	}
	if dest == "/proc" && m.Type == "proc" && mo.Flags&unix.MS_BIND == 0 {
		return nil
	}
	if dest != "/proc" && procAllowList[dest] {
		return nil
	}
	if mo.Flags&unix.MS_BIND != 0 || m.Type == "bind" {
		src := m.Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(st.o.Bundle, src)
		}
		var sfs unix.Statfs_t
		if err := st.s.Statfs(src, &sfs); err == nil && sfs.Type == unix.PROC_SUPER_MAGIC {
			return nil
		}
	}
	return fmt.Errorf("mount %s on %s: %s cannot be mounted because it is inside /proc", m.Type, dest, dest)
}

// handlePath is the container path a handle resolved to (for messages).
func (st *setup) handlePath(h *os.File) string {
	p, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", h.Fd()))
	if err != nil {
		return h.Name()
	}
	if rest, ok := strings.CutPrefix(p, st.o.Rootfs); ok && (rest == "" || rest[0] == '/') {
		if rest == "" {
			return "/"
		}
		return rest
	}
	return p
}
