// Package selinux labels the container with SELinux: process.selinuxLabel
// becomes the container process's context at its execve (written to the
// thread's attr/exec) and the context of the session keyring the init
// creates (attr/keycreate); linux.mountLabel is added as context="..." to
// the data of the filesystems the runtime mounts fresh (tmpfs, devpts,
// ...). Without SELinux on the host both labels mean nothing to the kernel
// and are ignored, as runc and crun do.
//
// Like internal/apparmor, every attr write goes through a verified procfs
// handle (CVE-2019-16884).
package selinux

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcontainer/internal/sysctl/procfs"
)

// selinuxfsPath is where the kernel's selinuxfs is mounted when SELinux
// is enabled.
const selinuxfsPath = "/sys/fs/selinux"

// selinuxMagic is SELINUX_MAGIC (include/uapi/linux/magic.h).
const selinuxMagic = 0xf97cff8c

// Opener opens a file of the calling thread's /proc/thread-self
// directory; *procfs.Handle is the real one, tests pass a fake.
type Opener interface {
	OpenThreadSelf(name string, flags int) (*os.File, error)
}

// Enabled reports whether the host runs SELinux: selinuxfs is mounted.
func Enabled() bool {
	var st unix.Statfs_t
	return unix.Statfs(selinuxfsPath, &st) == nil && uint32(st.Type) == selinuxMagic
}

// SetExecLabel makes the calling thread's next execve run in label.
// Call it with the OS thread locked. An empty label does nothing.
func SetExecLabel(label string) error {
	return withHandle(label, func(o Opener) error { return SetExecLabelWith(o, label) })
}

// SetExecLabelWith is SetExecLabel through a given opener.
func SetExecLabelWith(o Opener, label string) error {
	if label == "" {
		return nil
	}
	if err := writeAttr(o, "exec", label); err != nil {
		return fmt.Errorf("selinux process label %q: %w", label, err)
	}
	return nil
}

// SetKeyLabel makes the keyrings the calling thread creates get label
// ("" restores the default: the creating process's context). runc labels
// the container's session keyring this way.
func SetKeyLabel(label string) error {
	return withHandle("", func(o Opener) error { return SetKeyLabelWith(o, label) })
}

// SetKeyLabelWith is SetKeyLabel through a given opener.
func SetKeyLabelWith(o Opener, label string) error {
	if err := writeAttr(o, "keycreate", label); err != nil {
		if label == "" {
			return fmt.Errorf("selinux: reset keyring label: %w", err)
		}
		return fmt.Errorf("selinux keyring label %q: %w", label, err)
	}
	return nil
}

func withHandle(label string, fn func(Opener) error) error {
	h, err := procfs.Open()
	if err != nil {
		if label != "" {
			return fmt.Errorf("selinux label %q: %w", label, err)
		}
		return fmt.Errorf("selinux: %w", err)
	}
	defer h.Close()
	return fn(h)
}

// writeAttr writes one LSM attribute of the calling thread. The per-LSM
// attr/selinux/ directory does not exist (SELinux uses the shared files),
// so the shared attr/<name> is the right one.
func writeAttr(o Opener, name, value string) error {
	f, err := o.OpenThreadSelf("attr/"+name, unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer f.Close()
	// An empty write resets the attribute to its default.
	return procfs.WriteFile(f, []byte(value))
}

// noContext are the filesystem types whose mounts must not get a context=
// option: procfs and sysfs carry their own genfs labels, the cgroup
// filesystems and mqueue refuse or ignore it (runc mounts them without
// the label the same way), and bind mounts take no data at all.
var noContext = map[string]bool{
	"proc": true, "sysfs": true, "cgroup": true, "cgroup2": true, "mqueue": true, "bind": true,
}

// TakesMountLabel reports whether a fresh mount of type fstype gets
// linux.mountLabel as its context.
func TakesMountLabel(fstype string) bool { return fstype != "" && !noContext[fstype] }

// FormatMountLabel adds label to a mount's data as context="label", the
// way SELinux-aware mount(8) spells it. An empty label leaves data as is.
func FormatMountLabel(data, label string) string {
	if label == "" {
		return data
	}
	ctx := fmt.Sprintf("context=%q", label)
	if data == "" {
		return ctx
	}
	return data + "," + ctx
}

// ErrBadLabel is returned (wrapped) for a label the kernel could never
// take.
var ErrBadLabel = errors.New("invalid SELinux label")

// CheckLabel refuses labels that cannot be a context: a context is
// user:role:type[:level] and holds no NUL, newline or double quote (which
// would end the quoted context= in mount data; MCS levels have commas,
// hence the quotes).
func CheckLabel(field, label string) error {
	if label == "" {
		return nil
	}
	if strings.ContainsAny(label, "\x00\n\"") || strings.Count(label, ":") < 2 {
		return fmt.Errorf("%s %q: %w (want user:role:type[:level])", field, label, ErrBadLabel)
	}
	return nil
}
