package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	osuser "os/user"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcontainer/internal/sysctl/procfs"
)

// What changes when the runtime is not the host's root: see
// docs/rootless.md.

// RunningInUserNS reports whether the calling process is in a user
// namespace other than the initial one: the initial namespace's uid_map is
// the identity map of every id, "0 0 4294967295"; any other map (Podman's
// "0 1000 1" plus subordinate ranges, say) means the process's root is
// not the host's root, whatever its euid. A process that cannot read the
// file is treated as not in a user namespace.
func RunningInUserNS() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	return uidMapIsNested(string(b))
}

func uidMapIsNested(uidMap string) bool {
	f := strings.Fields(uidMap)
	return !(len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295")
}

// RootlessEUID reports whether the runtime runs without the host's root:
// a non-zero euid, or uid 0 in a user namespace.
func RootlessEUID() bool {
	return os.Geteuid() != 0 || RunningInUserNS()
}

// chownExecFifo gives the exec fifo to the container's root (uid, gid on
// the host), which opens it after it dropped the runtime's privileges. An
// unprivileged runtime cannot chown to a subordinate id; the fifo then
// stays the caller's, and its mode (0622, write for others) still lets the
// container's root open it for writing.
func chownExecFifo(path string, uid, gid int) error {
	if uid == 0 && gid == 0 {
		return nil
	}
	err := os.Chown(path, uid, gid)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EPERM) && RootlessEUID():
		return nil
	case errors.Is(err, unix.EINVAL):
		return fmt.Errorf("exec fifo for the container's root %d:%d: %w (id not mapped in the runtime's user namespace)", uid, gid, err)
	}
	return fmt.Errorf("exec fifo for the container's root %d:%d: %w", uid, gid, err)
}

// inUserNS says the init is in a user namespace other than the initial
// one: the container's own, or the runtime's (uid 0 in a user namespace,
// as under rootless Podman). Either way device nodes cannot be created
// and sysfs or mqueue may not be mountable.
func (in *initProcess) inUserNS() bool {
	if in.cfg.UserNS {
		return true
	}
	b, err := in.readProcSelf("uid_map")
	return err == nil && uidMapIsNested(string(b))
}

// setgroupsDenied reads the init's /proc/self/setgroups ("deny" after an
// unprivileged runtime wrote a single-range gid_map, see usermap_linux.go,
// or inherited from the runtime's own user namespace). In the initial user
// namespace setgroups is always allowed.
func (in *initProcess) setgroupsDenied() (bool, error) {
	if !in.inUserNS() {
		return false, nil
	}
	b, err := in.readProcSelf("setgroups")
	if errors.Is(err, unix.ENOENT) {
		return false, nil // before Linux 3.19
	}
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(b)) == "deny", nil
}

// readProcSelf reads a small /proc/self file, never through the
// container's /proc (which the container controls): the init uses the host
// procfs handle it opened before any container mount (in.procFD); an exec'd
// process, which has none, a verified fresh procfs handle.
func (in *initProcess) readProcSelf(name string) ([]byte, error) {
	var f *os.File
	if in.procFD > 0 {
		fd, err := unix.Openat(in.procFD, "self/"+name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: "/proc/self/" + name, Err: err}
		}
		f = os.NewFile(uintptr(fd), "/proc/self/"+name)
	} else {
		h, err := procfs.Open()
		if err != nil {
			return nil, fmt.Errorf("open procfs for /proc/self/%s: %w", name, err)
		}
		defer h.Close()
		if f, err = h.OpenSelf(name, unix.O_RDONLY); err != nil {
			return nil, err
		}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("read /proc/self/%s: %w", name, err)
	}
	return b, nil
}

// ownerName is the state's owner (list's OWNER column): the caller's user
// name, or its uid when /etc/passwd has none.
func ownerName() string {
	if os.Geteuid() == 0 {
		return "root" // no /etc/passwd read on every create
	}
	uid := strconv.Itoa(os.Geteuid())
	if u, err := osuser.LookupId(uid); err == nil {
		return u.Username
	}
	return uid
}

// oomScoreAdjError explains a refused process.oomScoreAdj: without
// CAP_SYS_RESOURCE a process may only raise the value (proc(5),
// /proc/pid/oom_score_adj), and a rootless runtime has no such capability.
func oomScoreAdjError(v int, err error) error {
	if (errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)) && RootlessEUID() {
		cur, rerr := os.ReadFile("/proc/self/oom_score_adj")
		if rerr == nil {
			return fmt.Errorf("process.oomScoreAdj %d: %w (a rootless runtime can only raise it above its own %s)", v, err, strings.TrimSpace(string(cur)))
		}
	}
	return fmt.Errorf("process.oomScoreAdj: %w", err)
}
