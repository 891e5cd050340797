package rootfs

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func u32(v uint32) *uint32 { return &v }

func mode(m os.FileMode) *os.FileMode { return &m }

// DefaultDevices are the devices runtime-spec's config-linux.md requires in
// every container ("Default Devices"); /dev/ptmx and the /dev/pts mount are
// handled separately.
var DefaultDevices = []specs.LinuxDevice{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3, FileMode: mode(0o666), UID: u32(0), GID: u32(0)},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5, FileMode: mode(0o666), UID: u32(0), GID: u32(0)},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7, FileMode: mode(0o666), UID: u32(0), GID: u32(0)},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8, FileMode: mode(0o666), UID: u32(0), GID: u32(0)},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9, FileMode: mode(0o666), UID: u32(0), GID: u32(0)},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0, FileMode: mode(0o666), UID: u32(0), GID: u32(0)},
}

// devices is the default devices followed by linux.devices; a spec device
// with the path of a default one replaces it (as in runc's specconv).
func (st *setup) devices() []specs.LinuxDevice {
	var specDevs []specs.LinuxDevice
	if st.o.Spec.Linux != nil {
		specDevs = st.o.Spec.Linux.Devices
	}
	inSpec := map[string]bool{}
	for _, d := range specDevs {
		inSpec[cleanDest(d.Path)] = true
	}
	var out []specs.LinuxDevice
	for _, d := range DefaultDevices {
		if !inSpec[d.Path] {
			out = append(out, d)
		}
	}
	return append(out, specDevs...)
}

func deviceType(t string) (uint32, error) {
	switch t {
	case "c", "u":
		return unix.S_IFCHR, nil
	case "b":
		return unix.S_IFBLK, nil
	case "p":
		return unix.S_IFIFO, nil
	}
	return 0, fmt.Errorf("unknown device type %q", t)
}

// createDevices creates every device node at its path in the rootfs,
// root-relative, making missing parent directories; like runc, a path need
// not be under /dev. In a
// user namespace mknod of devices is not allowed, so the host node is
// bind-mounted onto an empty file instead (runc does the same).
func (st *setup) createDevices() error {
	for _, d := range st.devices() {
		p := cleanDest(d.Path)
		if p == "/" || p == "/dev" {
			return fmt.Errorf("linux.devices: %s cannot be a device node", d.Path)
		}
		typ, err := deviceType(d.Type)
		if err != nil {
			return fmt.Errorf("linux.devices: %s: %w", p, err)
		}
		parent, err := mkdirAllInRoot(st.root, filepath.Dir(p), 0o755)
		if err != nil {
			return fmt.Errorf("create device %s: parent directory: %w", p, err)
		}
		if st.o.InUserNS {
			err = st.bindDevice(parent, p)
		} else {
			err = st.mknodDevice(parent, p, typ, d)
		}
		parent.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (st *setup) mknodDevice(parent *os.File, p string, typ uint32, d specs.LinuxDevice) error {
	perm := uint32(0o666)
	if d.FileMode != nil {
		// The spec's fileMode is a raw unix mode number (json decodes it
		// into os.FileMode without translating Go's mode bits).
		perm = uint32(*d.FileMode) & 0o7777
	}
	var dev uint64
	if typ != unix.S_IFIFO {
		dev = unix.Mkdev(uint32(d.Major), uint32(d.Minor))
	}
	base := filepath.Base(p)
	dirfd := int(parent.Fd())
	st.log.Debug("mknod device", slog.String("path", p), slog.String("type", d.Type), slog.Int64("major", d.Major), slog.Int64("minor", d.Minor))
	if err := st.s.Mknodat(dirfd, base, typ|perm, dev); err != nil {
		if errors.Is(err, unix.EEXIST) {
			// Something (an image file or an earlier mount) already
			// provides it; like runc, keep it.
			return nil
		}
		return fmt.Errorf("mknod %s (%s %d:%d): %w", p, d.Type, d.Major, d.Minor, err)
	}
	// mknod's mode went through the umask; set the exact mode. The node
	// was just created by us, so following a symlink is not a concern.
	if err := st.s.Fchmodat(dirfd, base, perm, 0); err != nil {
		return fmt.Errorf("chmod device %s: %w", p, err)
	}
	uid, gid := 0, 0
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	if err := st.s.Fchownat(dirfd, base, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("chown device %s to %d:%d: %w", p, uid, gid, err)
	}
	return nil
}

func (st *setup) bindDevice(parent *os.File, p string) error {
	base := filepath.Base(p)
	fd, err := unix.Openat(int(parent.Fd()), base, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o000)
	if err == nil {
		unix.Close(fd)
	} else if !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("create device bind target %s: %w", p, err)
	}
	fd, err = unix.Openat(int(parent.Fd()), base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open device bind target %s: %w", p, err)
	}
	h := os.NewFile(uintptr(fd), p)
	defer h.Close()
	// The source is the host's node of the same path.
	return st.doMount(p, p, h, "bind", unix.MS_BIND, "")
}

// setupPtmx makes /dev/ptmx a symlink to pts/ptmx so the devpts instance
// mounted in the container (newinstance) is used.
func (st *setup) setupPtmx() error {
	dev, err := mkdirAllInRoot(st.root, "/dev", 0o755)
	if err != nil {
		return fmt.Errorf("open /dev: %w", err)
	}
	defer dev.Close()
	if err := st.s.Unlinkat(int(dev.Fd()), "ptmx", 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove /dev/ptmx: %w", err)
	}
	if err := st.s.Symlinkat("pts/ptmx", int(dev.Fd()), "ptmx"); err != nil {
		return fmt.Errorf("symlink /dev/ptmx -> pts/ptmx: %w", err)
	}
	return nil
}

// setupDevSymlinks creates the conventional /dev symlinks; existing entries
// are kept.
func (st *setup) setupDevSymlinks() error {
	links := [][2]string{
		{"/proc/self/fd", "fd"},
		{"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"},
	}
	// /proc/kcore is only offered as /dev/core when the kernel has it.
	if _, err := os.Lstat("/proc/kcore"); err == nil {
		links = append(links, [2]string{"/proc/kcore", "core"})
	}
	dev, err := mkdirAllInRoot(st.root, "/dev", 0o755)
	if err != nil {
		return fmt.Errorf("open /dev: %w", err)
	}
	defer dev.Close()
	for _, l := range links {
		if err := st.s.Symlinkat(l[0], int(dev.Fd()), l[1]); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("symlink /dev/%s -> %s: %w", l[1], l[0], err)
		}
	}
	return nil
}
