package rootfs

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	lsys "github.com/gocontainer/gocontainer/libcontainer/syscall"
)

// Finalize runs after Pivot, when paths are container paths: it remounts
// read-only the tmpfs and /dev mounts that asked for "ro" (they were mounted
// rw so devices and tmpcopyup could be written), applies
// linux.readonlyPaths and linux.maskedPaths, remounts "/" read-only when
// root.readonly is set, and last applies linux.rootfsPropagation to "/".
//
// The caller must write sysctls and set up /dev/console before Finalize:
// /proc/sys and /dev may be read-only afterwards.
func Finalize(s Syscall, o Options) error {
	st, err := newSetup(s, o)
	if err != nil {
		return err
	}
	if !st.hasNamespace(specs.MountNamespace) {
		// Nothing here can be done without touching the host's mounts.
		return nil
	}
	rootPath := o.ContainerRoot
	if rootPath == "" {
		rootPath = "/"
	}
	root, err := openRoot(rootPath)
	if err != nil {
		return err
	}
	defer root.Close()
	st.root = root
	st.o.Rootfs = rootPath
	st.pathTargets = !st.procfsAt(filepath.Join(rootPath, "proc/thread-self/fd"))

	for _, m := range o.Spec.Mounts {
		dest := cleanDest(m.Destination)
		mo, err := parseMountOptions(m.Options)
		if err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.Type, dest, err)
		}
		if mo.Flags&unix.MS_RDONLY == 0 || mo.Flags&unix.MS_BIND != 0 || m.Type == "bind" {
			continue
		}
		if m.Type == "tmpfs" || dest == "/dev" {
			if err := st.remountReadonly(dest, mo); err != nil {
				return err
			}
		}
	}
	if o.Spec.Linux != nil {
		for _, p := range o.Spec.Linux.ReadonlyPaths {
			if err := st.readonlyPath(cleanDest(p)); err != nil {
				return err
			}
		}
		if err := st.maskPaths(o.Spec.Linux.MaskedPaths); err != nil {
			return err
		}
	}
	if o.Spec.Root != nil && o.Spec.Root.Readonly {
		if err := st.readonlyRoot(); err != nil {
			return err
		}
	}
	// linux.rootfsPropagation applies to the container's own "/" (before
	// the switch "/" was the host's root mount), and comes last: an
	// unbindable "/" would make the read-only path binds above fail.
	flags, set, err := rootPropagation(st.rootfsPropagation())
	if err != nil {
		return err
	}
	if set {
		st.log.Debug("apply root propagation", slog.String("flags", lsys.MountFlagsString(flags)))
		if err := st.s.Mount("", st.target(root, "/"), "", flags, ""); err != nil {
			return fmt.Errorf("apply linux.rootfsPropagation %q to / (flags %#x): %w", st.rootfsPropagation(), flags, err)
		}
	}
	return nil
}

// target is what a mount(2) call in Finalize names for handle h (container
// path p): the handle's magic link when the container has a procfs, so the
// target cannot change between resolution and mount; otherwise the path
// itself. Without a procfs the plain path is still contained: Finalize runs
// after the root switch, where absolute symlinks resolve inside the
// container and the host is no longer reachable.
func (st *setup) target(h *os.File, p string) string {
	if st.pathTargets {
		return filepath.Join(st.o.Rootfs, p)
	}
	return lsys.FdPath(int(h.Fd()))
}

// procfsAt reports whether p is on a procfs (an image could ship a plain
// directory named /proc/thread-self/fd).
func (st *setup) procfsAt(p string) bool {
	var sfs unix.Statfs_t
	return st.s.Statfs(p, &sfs) == nil && sfs.Type == unix.PROC_SUPER_MAGIC
}

// remountReadonly makes the (fresh) mount at dest read-only, keeping its
// other flags and data. EBUSY is retried: something may briefly hold a
// writable file on it.
func (st *setup) remountReadonly(dest string, mo mountOptions) error {
	h, err := openInRoot(st.root, dest)
	if err != nil {
		return fmt.Errorf("remount %s read-only: open: %w", dest, err)
	}
	defer h.Close()
	flags := uintptr(unix.MS_REMOUNT|unix.MS_RDONLY) | mo.Flags&^(unix.MS_REC|unix.MS_REMOUNT|propagationMask)
	st.log.Debug("remount read-only", slog.String("dest", dest), slog.String("flags", lsys.MountFlagsString(flags)))
	for i := 0; ; i++ {
		err = st.s.Mount("", st.target(h, dest), "", flags, mo.Data)
		if !errors.Is(err, unix.EBUSY) || i == 4 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("remount %s read-only (flags %#x): %w", dest, flags, err)
	}
	return nil
}

// readonlyPath bind-mounts path onto itself and remounts it read-only,
// keeping the nosuid/nodev/noexec it already has (runc semantics: a
// read-only path is not made noexec). A missing path is skipped.
func (st *setup) readonlyPath(path string) error {
	h, err := openInRoot(st.root, path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			st.log.Debug("readonly path does not exist, skipped", slog.String("path", path))
			return nil
		}
		return fmt.Errorf("readonly path %s: open: %w", path, err)
	}
	defer h.Close()
	target := st.target(h, path)
	st.log.Debug("readonly path", slog.String("path", path))
	if err := st.s.Mount(target, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("readonly path %s: bind mount (flags %#x): %w", path, unix.MS_BIND|unix.MS_REC, err)
	}
	top, err := st.reopen(path)
	if err != nil {
		return err
	}
	defer top.Close()
	var sfs unix.Statfs_t
	if err := st.s.Fstatfs(int(top.Fd()), &sfs); err != nil {
		return fmt.Errorf("readonly path %s: statfs: %w", path, err)
	}
	flags := uintptr(unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY) |
		uintptr(sfs.Flags)&(unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC)
	err = st.s.Mount("", st.target(top, path), "", flags, "")
	if errors.Is(err, unix.EPERM) {
		// In a user namespace the atime flags of the source are locked
		// too; keep them.
		if atime := uintptr(sfs.Flags) & (unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME); atime != 0 {
			flags |= atime
			err = st.s.Mount("", st.target(top, path), "", flags, "")
		}
	}
	if err != nil {
		return fmt.Errorf("readonly path %s: remount (flags %#x): %w", path, flags, err)
	}
	return nil
}

// ErrNotDevNull is returned (wrapped) when the container's /dev/null is not
// the null character device 1:3.
var ErrNotDevNull = errors.New("/dev/null is not the null device (char 1:3)")

// maskPaths hides files behind a verified /dev/null and directories behind
// a read-only tmpfs. The /dev/null source is opened O_PATH and its inode
// checked before it is bound from that very fd: a container-controlled
// /dev/null symlink could otherwise make the "mask" a writable bind of an
// arbitrary file (CVE-2025-31133). Missing paths are skipped.
func (st *setup) maskPaths(paths []string) error {
	var devNull *os.File
	defer func() {
		if devNull != nil {
			devNull.Close()
		}
	}()
	for _, raw := range paths {
		path := cleanDest(raw)
		h, err := openInRoot(st.root, path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				st.log.Debug("masked path does not exist, skipped", slog.String("path", path))
				continue
			}
			return fmt.Errorf("masked path %s: open: %w", path, err)
		}
		err = st.maskOne(path, h, &devNull)
		h.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (st *setup) maskOne(path string, h *os.File, devNull **os.File) error {
	var stt unix.Stat_t
	if err := st.s.Fstat(int(h.Fd()), &stt); err != nil {
		return fmt.Errorf("masked path %s: stat: %w", path, err)
	}
	target := st.target(h, path)
	if stt.Mode&unix.S_IFMT == unix.S_IFDIR {
		st.log.Debug("mask directory", slog.String("path", path))
		if err := st.s.Mount("tmpfs", target, "tmpfs", unix.MS_RDONLY, st.labelData("tmpfs", "")); err != nil {
			return fmt.Errorf("masked path %s: mount tmpfs (flags %#x): %w", path, unix.MS_RDONLY, err)
		}
		return nil
	}
	if *devNull == nil {
		dn, err := st.openDevNull()
		if err != nil {
			return fmt.Errorf("masked path %s: %w", path, err)
		}
		*devNull = dn
	}
	st.log.Debug("mask file", slog.String("path", path))
	if err := st.s.Mount(st.target(*devNull, "/dev/null"), target, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("masked path %s: bind /dev/null (flags %#x): %w", path, unix.MS_BIND, err)
	}
	return nil
}

func (st *setup) openDevNull() (*os.File, error) {
	dn, err := openInRoot(st.root, "/dev/null")
	if err != nil {
		return nil, fmt.Errorf("open /dev/null: %w", err)
	}
	var stt unix.Stat_t
	if err := st.s.Fstat(int(dn.Fd()), &stt); err != nil {
		dn.Close()
		return nil, fmt.Errorf("stat /dev/null: %w", err)
	}
	if stt.Mode&unix.S_IFMT != unix.S_IFCHR || stt.Rdev != unix.Mkdev(1, 3) {
		dn.Close()
		return nil, fmt.Errorf("%w: mode %#o rdev %d:%d", ErrNotDevNull, stt.Mode, unix.Major(stt.Rdev), unix.Minor(stt.Rdev))
	}
	return dn, nil
}

// readonlyRoot remounts the root mount read-only. A bind remount changes
// only this mount's flags; if the kernel refuses (EPERM in a user namespace
// because of locked flags), retry keeping the current flags, as runc does.
func (st *setup) readonlyRoot() error {
	target := st.target(st.root, "/")
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
	st.log.Debug("remount / read-only")
	err := st.s.Mount("", target, "", flags, "")
	if err == nil {
		return nil
	}
	var sfs unix.Statfs_t
	if serr := st.s.Fstatfs(int(st.root.Fd()), &sfs); serr != nil {
		return fmt.Errorf("remount / read-only (flags %#x): %w", flags, err)
	}
	flags |= uintptr(sfs.Flags) & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME)
	if err := st.s.Mount("", target, "", flags, ""); err != nil {
		return fmt.Errorf("remount / read-only (flags %#x): %w", flags, err)
	}
	return nil
}
