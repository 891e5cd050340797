// Package idmap makes idmapped mounts (mount_setattr(2) MOUNT_ATTR_IDMAP,
// Linux 5.12+) for the OCI "idmap"/"ridmap" mount options and a mount's
// uidMappings/gidMappings.
//
// It runs in the runtime parent, in the host's mount and user namespaces:
// only there may a host mount be cloned and idmapped (the kernel requires
// CAP_SYS_ADMIN in the user namespace that owns the filesystem, which the
// container init in its own user namespace lacks). The result is a
// detached mount fd that the init moves into the container with
// move_mount(2).
package idmap

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ErrNotSupported is returned (wrapped) when the filesystem of a source
// cannot be idmapped: mount_setattr answers EINVAL.
var ErrNotSupported = errors.New("does not support idmapped mounts")

// UserNS returns an fd of a new user namespace with the given mappings,
// as MOUNT_ATTR_IDMAP wants it. The namespace is made by a throw-away
// child: Go's fork writes the maps (as root, a single write per file),
// and PTRACE_TRACEME stops the child at its execve before the new image
// runs a single instruction, so it costs a fork and an exec mapping, not
// a process start. The child is killed once its namespace is open: the
// fd keeps the namespace alive.
func UserNS(uids, gids []specs.LinuxIDMapping) (*os.File, error) {
	if len(uids) == 0 || len(gids) == 0 {
		return nil, errors.New("user namespace for an idmapped mount: both uid and gid mappings are required")
	}
	p, err := os.StartProcess("/proc/self/exe", []string{"gocontainer-idmap"}, &os.ProcAttr{
		Sys: &syscall.SysProcAttr{
			Cloneflags:  unix.CLONE_NEWUSER,
			UidMappings: sysMaps(uids),
			GidMappings: sysMaps(gids),
			Ptrace:      true,
			Pdeathsig:   syscall.SIGKILL,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("spawn a process for the idmapping user namespace (%s): %w", describe(uids), err)
	}
	defer func() {
		_ = p.Kill()
		_, _ = p.Wait()
	}()
	path := fmt.Sprintf("/proc/%d/ns/user", p.Pid)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// Clone returns a detached copy of the mount tree at source
// (open_tree(OPEN_TREE_CLONE)), idmapped through the user namespace
// userns. tree copies the submounts too (rbind); recursive idmaps them
// as well ("ridmap"), otherwise only the top mount is idmapped, as in runc.
func Clone(source string, userns int, tree, recursive bool) (*os.File, error) {
	flags := unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC
	if tree {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, source, uint(flags))
	if err != nil {
		return nil, &os.PathError{Op: "open_tree", Path: source, Err: err}
	}
	f := os.NewFile(uintptr(fd), source)
	setFlags := uint(unix.AT_EMPTY_PATH)
	if recursive {
		setFlags |= unix.AT_RECURSIVE
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns)}
	if err := unix.MountSetattr(fd, "", setFlags, attr); err != nil {
		f.Close()
		if errors.Is(err, unix.EINVAL) {
			// EINVAL is the kernel's answer for a filesystem without
			// FS_ALLOW_IDMAP (and for an idmapped-already mount).
			return nil, fmt.Errorf("filesystem of %s %w (mount_setattr: %w)", source, ErrNotSupported, err)
		}
		return nil, &os.PathError{Op: "mount_setattr MOUNT_ATTR_IDMAP", Path: source, Err: err}
	}
	return f, nil
}

func sysMaps(m []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(m))
	for i, r := range m {
		out[i] = syscall.SysProcIDMap{ContainerID: int(r.ContainerID), HostID: int(r.HostID), Size: int(r.Size)}
	}
	return out
}

// Key identifies a pair of mappings, so that mounts with the same
// mappings share one user namespace.
func Key(uids, gids []specs.LinuxIDMapping) string {
	return describe(uids) + "/" + describe(gids)
}

func describe(m []specs.LinuxIDMapping) string {
	parts := make([]string, len(m))
	for i, r := range m {
		parts[i] = fmt.Sprintf("%d:%d:%d", r.ContainerID, r.HostID, r.Size)
	}
	return strings.Join(parts, ",")
}
