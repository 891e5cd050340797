package rootfs

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	lsys "github.com/gocontainer/gocontainer/libcontainer/syscall"
)

// Syscall is the kernel boundary used by this package.
type Syscall = lsys.Syscall

// Options describes the container root filesystem to build.
type Options struct {
	// Spec is the validated OCI config. Spec.Root.Path may be relative to
	// the bundle; Rootfs below is authoritative.
	Spec *specs.Spec
	// Rootfs is the absolute host path of the container root, symlinks
	// already evaluated.
	Rootfs string
	// Bundle is the absolute bundle directory; relative bind sources are
	// relative to it.
	Bundle string
	// NoPivot selects MS_MOVE + chroot instead of pivot_root (--no-pivot).
	NoPivot bool
	// InUserNS says the container has its own user namespace: devices are
	// bind-mounted from the host instead of mknod'd.
	InUserNS bool
	// Logger receives debug lines for every kernel interaction; nil is a no-op.
	Logger *slog.Logger
	// ContainerRoot is where Finalize finds the container root. Empty means
	// "/", which is right after Pivot; tests that fake Pivot set it to Rootfs.
	ContainerRoot string
	// IDMapped maps the index of every idmapped mount in Spec.Mounts (see
	// IDMapped) to the detached, already idmapped mount fd the runtime
	// parent made for it, and, with a user namespace, bind mounts to the
	// detached clone of their source the parent opened in the host's
	// namespaces; Prepare moves each into place and closes it.
	IDMapped map[int]int
	// MountLabel is linux.mountLabel when SELinux is enabled ("" when it
	// is not): the context of every fresh mount that takes one and of the
	// masked-path tmpfs, as with runc.
	MountLabel string
}

// ErrSymlinkDestination is returned (wrapped) when /proc or /sys (or a
// destination that must be a real directory) is a symlink in the rootfs.
var ErrSymlinkDestination = errors.New("is a symlink")

// Prepare builds the container's mounts in the current (new) mount
// namespace: root propagation, the rootfs bind, every spec mount in order and
// /dev. It must run before any hook and before Pivot.
func Prepare(s Syscall, o Options) error {
	st, err := newSetup(s, o)
	if err != nil {
		return err
	}
	if !st.hasNamespace(specs.MountNamespace) {
		// Without a mount namespace every mount would land on the host;
		// runc does no mounts then either, Pivot does a plain chroot.
		st.log.Debug("no mount namespace: skipping rootfs mounts")
		if len(o.Spec.Mounts) > 0 {
			return fmt.Errorf("prepare rootfs: %d mounts requested but the container has no mount namespace", len(o.Spec.Mounts))
		}
		return nil
	}
	if err := st.prepareRoot(); err != nil {
		return err
	}
	root, err := openRoot(o.Rootfs)
	if err != nil {
		return err
	}
	defer root.Close()
	st.root = root

	for i := range o.Spec.Mounts {
		if err := st.mountIndex(i); err != nil {
			return err
		}
	}
	if st.needsSetupDev() {
		if err := st.createDevices(); err != nil {
			return err
		}
		if err := st.setupPtmx(); err != nil {
			return err
		}
		if err := st.setupDevSymlinks(); err != nil {
			return err
		}
	}
	return nil
}

type setup struct {
	s    Syscall
	o    Options
	log  *slog.Logger
	root *os.File // O_PATH handle on the container root
	// pathTargets makes Finalize name mount targets by path because the
	// container has no procfs for /proc/thread-self/fd magic links.
	pathTargets bool
	// hostMountInfo caches the first mountinfo read (see hostMounts).
	hostMountInfo []*mountinfo.Info
}

// hostMounts returns the host's mount table as it was when first asked,
// before the container's own mounts: what the rootfs parent and cgroup
// hierarchy lookups need. The table holds hundreds of lines on a busy
// host; reading and parsing it once saves the init a parse per lookup.
func (st *setup) hostMounts() ([]*mountinfo.Info, error) {
	if st.hostMountInfo == nil {
		mounts, err := st.s.MountInfo()
		if err != nil {
			return nil, fmt.Errorf("read mountinfo: %w", err)
		}
		st.hostMountInfo = mounts
	}
	return st.hostMountInfo, nil
}

func newSetup(s Syscall, o Options) (*setup, error) {
	if s == nil {
		return nil, errors.New("rootfs: nil Syscall")
	}
	if o.Spec == nil {
		return nil, errors.New("rootfs: nil Spec")
	}
	if o.Rootfs == "" || !filepath.IsAbs(o.Rootfs) {
		return nil, fmt.Errorf("rootfs: Rootfs %q is not an absolute path", o.Rootfs)
	}
	o.Rootfs = filepath.Clean(o.Rootfs)
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &setup{s: s, o: o, log: log.With(slog.String("rootfs", o.Rootfs))}, nil
}

func (st *setup) hasNamespace(t specs.LinuxNamespaceType) bool {
	if st.o.Spec.Linux == nil {
		return false
	}
	for _, ns := range st.o.Spec.Linux.Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

func (st *setup) rootfsPropagation() string {
	if st.o.Spec.Linux == nil {
		return ""
	}
	return st.o.Spec.Linux.RootfsPropagation
}

// prepareRootPropagation is the propagation given to the whole inherited
// tree before anything is mounted (youki's mapping): shared and private are
// kept (recursively) so rshared volumes can still propagate to the host;
// everything else is rslave. "unbindable" is not applied here because the
// rootfs bind below would then fail; Pivot applies the exact
// linux.rootfsPropagation to the new "/".
func prepareRootPropagation(s string) (uintptr, error) {
	flags, set, err := rootPropagation(s)
	if err != nil || !set {
		return flags, err
	}
	switch {
	case flags&unix.MS_SHARED != 0:
		return unix.MS_SHARED | unix.MS_REC, nil
	case flags&unix.MS_PRIVATE != 0:
		return unix.MS_PRIVATE | unix.MS_REC, nil
	}
	return unix.MS_SLAVE | unix.MS_REC, nil
}

// prepareRoot follows runc's prepareRoot: make "/" rslave (or the requested
// propagation) so nothing we do propagates to the host, make the rootfs's
// parent mount private if it is shared (pivot_root refuses a shared parent,
// and our rootfs bind would otherwise propagate to the host's peers), then
// bind the rootfs onto itself so it is a mount point pivot_root can use.
func (st *setup) prepareRoot() error {
	flags, err := prepareRootPropagation(st.rootfsPropagation())
	if err != nil {
		return err
	}
	st.log.Debug("set root propagation", slog.String("flags", lsys.MountFlagsString(flags)))
	if err := st.s.Mount("", "/", "", flags, ""); err != nil {
		return fmt.Errorf("set propagation of / (flags %#x): %w", flags, err)
	}
	if err := st.rootfsParentMountPrivate(); err != nil {
		return err
	}
	const bindFlags = unix.MS_BIND | unix.MS_REC
	st.log.Debug("bind rootfs onto itself")
	if err := st.s.Mount(st.o.Rootfs, st.o.Rootfs, "bind", bindFlags, ""); err != nil {
		return fmt.Errorf("mount bind %s on itself (flags %#x): %w", st.o.Rootfs, bindFlags, err)
	}
	return nil
}

func (st *setup) rootfsParentMountPrivate() error {
	mounts, err := st.hostMounts()
	if err != nil {
		return err
	}
	var parent string
	var shared bool
	for _, m := range mounts {
		if isUnder(st.o.Rootfs, m.Mountpoint) && len(m.Mountpoint) >= len(parent) {
			parent = m.Mountpoint
			shared = strings.Contains(m.Optional, "shared:")
		}
	}
	if parent == "" || !shared {
		return nil
	}
	st.log.Debug("make rootfs parent mount private", slog.String("mountpoint", parent))
	if err := st.s.Mount("", parent, "", unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make parent mount %s of the rootfs private: %w", parent, err)
	}
	return nil
}

// isUnder reports whether p is dir or inside it (both clean and absolute).
func isUnder(p, dir string) bool {
	if dir == "/" || p == dir {
		return true
	}
	return strings.HasPrefix(p, dir+"/")
}

func openRoot(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open rootfs", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// cleanDest turns an OCI destination into a clean absolute container path.
func cleanDest(d string) string { return filepath.Clean("/" + d) }

// needsSetupDev follows runc: devices are created unless /dev is bind-mounted
// from elsewhere (then the user supplied /dev and we leave it alone).
func (st *setup) needsSetupDev() bool {
	for _, m := range st.o.Spec.Mounts {
		if cleanDest(m.Destination) != "/dev" {
			continue
		}
		if m.Type == "bind" {
			return false
		}
		if mo, err := parseMountOptions(m.Options); err == nil && mo.Flags&unix.MS_BIND != 0 {
			return false
		}
	}
	return true
}
