package rootfs

import (
	"errors"
	"fmt"
	"log/slog"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Pivot makes the prepared rootfs the process's root: pivot_root(".", ".")
// and a lazy unmount of the old root; with NoPivot, MS_MOVE of the rootfs
// onto "/" and chroot; without a mount namespace, a plain chroot. On return
// the cwd is "/". linux.rootfsPropagation is applied to the new "/" by
// Finalize.
func Pivot(s Syscall, o Options) error {
	st, err := newSetup(s, o)
	if err != nil {
		return err
	}
	if !st.hasNamespace(specs.MountNamespace) {
		return st.chroot(st.o.Rootfs)
	}
	if err := st.s.Chdir(st.o.Rootfs); err != nil {
		return fmt.Errorf("chdir to rootfs %s: %w", st.o.Rootfs, err)
	}
	if st.o.NoPivot {
		err = st.msMoveRoot()
	} else {
		err = st.pivotRoot()
	}
	return err
}

// pivotRoot uses pivot_root(".", ".") so no put_old directory is needed in
// the rootfs: the old root ends up stacked on top of the new one at "/", and
// is lazily unmounted from there.
func (st *setup) pivotRoot() (err error) {
	oldroot, err := st.s.Open("/", unix.O_DIRECTORY|unix.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("pivot_root: open old root /: %w", err)
	}
	defer st.s.Close(oldroot)
	newroot, err := st.s.Open(st.o.Rootfs, unix.O_DIRECTORY|unix.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("pivot_root: open new root %s: %w", st.o.Rootfs, err)
	}
	defer st.s.Close(newroot)
	if err := st.s.Fchdir(newroot); err != nil {
		return fmt.Errorf("pivot_root: fchdir to new root %s: %w", st.o.Rootfs, err)
	}
	st.log.Debug("pivot_root")
	if err := st.s.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root %s: %w", st.o.Rootfs, err)
	}
	// The kernel does not promise where "." is after pivot_root; go to the
	// old root explicitly.
	if err := st.s.Fchdir(oldroot); err != nil {
		return fmt.Errorf("pivot_root: fchdir to old root: %w", err)
	}
	// rslave, not rprivate, so the unmount cannot propagate to the host
	// while host-side references to these mounts stay valid.
	if err := st.s.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("pivot_root: make old root rslave: %w", err)
	}
	if err := st.s.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("pivot_root: unmount old root: %w", err)
	}
	if err := st.s.Chdir("/"); err != nil {
		return fmt.Errorf("pivot_root: chdir /: %w", err)
	}
	return nil
}

// msMoveRoot is --no-pivot (for roots pivot_root cannot handle, e.g. a
// ramfs initramfs). The host's mounts stay in the namespace below the
// chroot, so first get rid of the full procfs and sysfs mounts outside the
// rootfs: the kernel's "may this procfs/sysfs be mounted" check
// (mount_too_revealing) looks at every mount of the namespace, and they
// would also stay reachable to a process escaping the chroot.
func (st *setup) msMoveRoot() error {
	mounts, err := st.s.MountInfo()
	if err != nil {
		return fmt.Errorf("no-pivot: read mountinfo: %w", err)
	}
	for _, m := range mounts {
		if m.Root != "/" || (m.FSType != "proc" && m.FSType != "sysfs") || isUnder(m.Mountpoint, st.o.Rootfs) {
			continue
		}
		p := m.Mountpoint
		st.log.Debug("no-pivot: detach host mount", slog.String("mountpoint", p), slog.String("type", m.FSType))
		if err := st.s.Mount("", p, "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
			if errors.Is(err, unix.ENOENT) {
				// A parent was already detached.
				continue
			}
			return fmt.Errorf("no-pivot: make %s rslave: %w", p, err)
		}
		if err := st.s.Unmount(p, unix.MNT_DETACH); err != nil {
			if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EPERM) {
				return fmt.Errorf("no-pivot: unmount %s: %w", p, err)
			}
			// Not allowed to unmount (locked mount in a user namespace):
			// cover it instead.
			if err := st.s.Mount("tmpfs", p, "tmpfs", 0, ""); err != nil {
				return fmt.Errorf("no-pivot: cover %s with tmpfs: %w", p, err)
			}
		}
	}
	if err := st.s.Mount(st.o.Rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("no-pivot: move mount %s to / (flags %#x): %w", st.o.Rootfs, unix.MS_MOVE, err)
	}
	return st.chroot(".")
}

func (st *setup) chroot(path string) error {
	if err := st.s.Chroot(path); err != nil {
		return fmt.Errorf("chroot %s: %w", path, err)
	}
	if err := st.s.Chdir("/"); err != nil {
		return fmt.Errorf("chdir / after chroot: %w", err)
	}
	return nil
}
