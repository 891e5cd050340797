package user

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/gocontainer/gocontainer/libcontainer/internal/sysctl/procfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// DefaultUmask is the umask runc gives the container process when
// process.user.umask is not set.
const DefaultUmask = 0o022

// maxPasswd bounds how much of the container's /etc/passwd is read: the
// file is under the container's control.
const maxPasswd = 16 << 20

// Options changes how [Setup] behaves.
type Options struct {
	// SetgroupsDenied is true when /proc/self/setgroups is "deny" in the
	// container's user namespace (an unprivileged single-id mapping).
	// setgroups(2) is then skipped, and a non-empty AdditionalGids is an
	// error rather than being silently dropped.
	SetgroupsDenied bool
}

// Setup switches the process to u in runc's order: setgroups
// (AdditionalGids, which clears inherited supplementary groups when empty),
// setresgid, setresuid, then the umask (u.Umask, or [DefaultUmask]).
// Keep capabilities across the uid change with capabilities.SetKeepCaps
// first if the process needs any afterwards.
//
// The syscall package's Setgroups/Setresgid/Setresuid are used on purpose:
// they change every thread of the Go process, while the raw system calls
// (and x/sys/unix.Setgroups) change only the calling thread, which would
// leave other threads with the runtime's credentials.
func Setup(u specs.User, opts Options) error {
	if opts.SetgroupsDenied {
		if len(u.AdditionalGids) > 0 {
			return fmt.Errorf("process.user.additionalGids %v: setgroups is denied in this user namespace", u.AdditionalGids)
		}
	} else {
		gids := make([]int, len(u.AdditionalGids))
		for i, g := range u.AdditionalGids {
			gids[i] = int(g)
		}
		if err := syscall.Setgroups(gids); err != nil {
			return fmt.Errorf("setgroups %v: %w", u.AdditionalGids, hint(err))
		}
	}
	if err := syscall.Setresgid(int(u.GID), int(u.GID), int(u.GID)); err != nil {
		return fmt.Errorf("setresgid %d: %w", u.GID, hint(err))
	}
	if err := syscall.Setresuid(int(u.UID), int(u.UID), int(u.UID)); err != nil {
		return fmt.Errorf("setresuid %d: %w", u.UID, hint(err))
	}
	mask := uint32(DefaultUmask)
	if u.Umask != nil {
		if *u.Umask > 0o777 {
			return fmt.Errorf("process.user.umask %#o: out of range 0..0777", *u.Umask)
		}
		mask = *u.Umask
	}
	unix.Umask(int(mask))
	return nil
}

// hint explains EINVAL, which the kernel returns for an id that is not
// mapped in the caller's user namespace.
func hint(err error) error {
	if errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("%w (id not mapped in the user namespace?)", err)
	}
	return err
}

// LookupHome returns the home directory of uid from rootfs/etc/passwd,
// resolved inside rootfs (symlinks in the container cannot point it at a
// host file). It returns [DefaultHome] when the file does not exist, has
// no entry for uid, or the entry's home is empty. In the container init
// after pivot_root, rootfs is "/".
func LookupHome(rootfs string, uid uint32) (string, error) {
	root, err := unix.Open(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", &os.PathError{Op: "open", Path: rootfs, Err: err}
	}
	defer unix.Close(root)
	f, err := openInRoot(root, rootfs, "etc/passwd")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return DefaultHome, nil
		}
		return "", err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return "", &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return "", fmt.Errorf("%s: not a regular file", f.Name())
	}
	home, err := homeFromPasswd(io.LimitReader(f, maxPasswd), uid)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", f.Name(), err)
	}
	if home == "" {
		return DefaultHome, nil
	}
	return home, nil
}

// EnvWithHome returns env with HOME appended, taken from the container's
// /etc/passwd for uid (see [LookupHome]), when env has no HOME entry. An
// explicit HOME, even an empty one, is the config's choice and is kept.
func EnvWithHome(env []string, rootfs string, uid uint32) ([]string, error) {
	for _, e := range env {
		if strings.HasPrefix(e, "HOME=") {
			return env, nil
		}
	}
	home, err := LookupHome(rootfs, uid)
	if err != nil {
		return nil, fmt.Errorf("HOME for uid %d: %w", uid, err)
	}
	out := make([]string, len(env), len(env)+1)
	copy(out, env)
	return append(out, "HOME="+home), nil
}

// SetgroupsDenied reports whether /proc/self/setgroups says "deny", read
// through the verified procfs handle h. Kernels without the file (before
// 3.19) allow setgroups.
func SetgroupsDenied(h *procfs.Handle) (bool, error) {
	f, err := h.OpenSelf("setgroups", unix.O_RDONLY)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return false, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return strings.TrimSpace(string(b)) == "deny", nil
}

// openInRoot opens name read-only, relative to the directory fd root
// (whose path is rootfs, for messages), with every path component resolved as
// if rootfs were "/" (openat2 RESOLVE_IN_ROOT). O_NONBLOCK keeps a FIFO
// planted at the path from blocking the init; the caller checks the type.
func openInRoot(root int, rootfs, name string) (*os.File, error) {
	display := filepath.Join(rootfs, name)
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	for {
		fd, err := unix.Openat2(root, name, &how)
		switch err {
		case nil:
			return os.NewFile(uintptr(fd), display), nil
		case unix.EINTR, unix.EAGAIN:
			continue
		case unix.ENOSYS:
			// Before Linux 5.6: resolve the path in userspace. This can
			// race with a concurrent rename inside the rootfs, which the
			// init (the only process in the container) does not face.
			p, err := securejoin.SecureJoin(rootfs, name)
			if err != nil {
				return nil, err
			}
			fd, err := unix.Open(p, int(how.Flags)|unix.O_NOFOLLOW, 0)
			if err != nil {
				return nil, &os.PathError{Op: "open", Path: display, Err: err}
			}
			return os.NewFile(uintptr(fd), display), nil
		default:
			return nil, &os.PathError{Op: "open", Path: display, Err: err}
		}
	}
}
