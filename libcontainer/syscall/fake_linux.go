package syscall

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Call is one recorded call of the Fake.
type Call struct {
	// Name is the syscall name, e.g. "mount".
	Name string
	// Args are the arguments rendered as strings: paths are shown as
	// container paths when they are under Fake.Root, fd-magic-link paths and
	// fds are resolved to the path they refer to, flags are symbolic.
	Args []string
	// Paths are the resolved path arguments (same rendering), for matchers.
	Paths []string
	// Flags is the raw flags argument, where the call has one.
	Flags uintptr
	// Raw are the path arguments exactly as passed (for mount: source,
	// target), e.g. to check that a /proc/thread-self/fd/N target was used.
	Raw []string
}

// String renders the call as name(arg, arg, ...).
func (c Call) String() string { return c.Name + "(" + strings.Join(c.Args, ", ") + ")" }

// Fake is a recording Syscall. Calls that change state (mount, pivot_root,
// mknod, chown, symlink, ...) are recorded and NOT performed. Read-only
// queries (Open, Close, Fstat, Fstatfs, Statfs, MountInfo, ReadFile) are
// recorded only when RecordQueries is set, and are passed through to the real
// kernel unless the matching *Func override is set. Mkdirat is performed for
// real (it is unprivileged) so later path resolution sees the directory.
type Fake struct {
	// Root is the host path of the test rootfs; recorded paths under it are
	// shown relative to it ("/dev" rather than "/tmp/x/rootfs/dev").
	Root string
	// Err, when set, is asked for every call; a non-nil return makes the call
	// fail with that error (it is still recorded).
	Err func(c Call) error
	// RecordQueries records read-only queries too.
	RecordQueries bool

	FstatFunc     func(fd int, path string, st *unix.Stat_t) error
	FstatfsFunc   func(fd int, path string, st *unix.Statfs_t) error
	StatfsFunc    func(path string, st *unix.Statfs_t) error
	MountInfoFunc func() ([]*mountinfo.Info, error)
	ReadFileFunc  func(path string) ([]byte, error)

	mu    sync.Mutex
	calls []Call
}

var _ Syscall = (*Fake)(nil)

// Calls returns a copy of the recorded calls.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// CallStrings returns the recorded calls rendered with Call.String.
func (f *Fake) CallStrings() []string {
	var out []string
	for _, c := range f.Calls() {
		out = append(out, c.String())
	}
	return out
}

// Reset forgets the recorded calls.
func (f *Fake) Reset() {
	f.mu.Lock()
	f.calls = nil
	f.mu.Unlock()
}

func (f *Fake) record(c Call) error {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	if f.Err != nil {
		return f.Err(c)
	}
	return nil
}

// show renders a path: magic fd links are resolved, then Root is stripped.
func (f *Fake) show(p string) string {
	if rest, ok := strings.CutPrefix(p, "/proc/thread-self/fd/"); ok {
		if fd, err := strconv.Atoi(rest); err == nil {
			return f.showFd(fd)
		}
	}
	if rest, ok := strings.CutPrefix(p, "/proc/self/fd/"); ok {
		if fd, err := strconv.Atoi(rest); err == nil {
			return f.showFd(fd)
		}
	}
	return f.stripRoot(p)
}

func (f *Fake) showFd(fd int) string {
	if fd == unix.AT_FDCWD {
		return "AT_FDCWD"
	}
	target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return "fd:" + strconv.Itoa(fd)
	}
	return f.stripRoot(target)
}

func (f *Fake) stripRoot(p string) string {
	if f.Root == "" || p == "" {
		return p
	}
	root := filepath.Clean(f.Root)
	if p == root {
		return "/"
	}
	if rest, ok := strings.CutPrefix(p, root+"/"); ok {
		return "/" + rest
	}
	return p
}

// at renders a (dirfd, path) pair as one path.
func (f *Fake) at(dirfd int, p string) string {
	if filepath.IsAbs(p) || dirfd == unix.AT_FDCWD {
		return f.show(p)
	}
	base := f.showFd(dirfd)
	if p == "" {
		return base
	}
	return filepath.Join(base, p)
}

func quote(s string) string { return strconv.Quote(s) }

// Mount implements Syscall (recorded, not performed).
func (f *Fake) Mount(source, target, fstype string, flags uintptr, data string) error {
	src, dst := f.show(source), f.show(target)
	return f.record(Call{
		Name:  "mount",
		Args:  []string{quote(src), quote(dst), quote(fstype), MountFlagsString(flags), quote(data)},
		Paths: []string{src, dst},
		Flags: flags,
		Raw:   []string{source, target},
	})
}

// Unmount implements Syscall (recorded, not performed).
func (f *Fake) Unmount(target string, flags int) error {
	dst := f.show(target)
	return f.record(Call{Name: "umount2", Args: []string{quote(dst), fmt.Sprintf("%#x", flags)}, Paths: []string{dst}, Flags: uintptr(flags)})
}

// MountSetattr implements Syscall (recorded, not performed).
func (f *Fake) MountSetattr(dirfd int, path string, flags uint, attr *unix.MountAttr) error {
	p := f.at(dirfd, path)
	return f.record(Call{
		Name:  "mount_setattr",
		Args:  []string{quote(p), fmt.Sprintf("%#x", flags), fmt.Sprintf("set=%#x", attr.Attr_set), fmt.Sprintf("clr=%#x", attr.Attr_clr), fmt.Sprintf("prop=%#x", attr.Propagation)},
		Paths: []string{p},
		Flags: uintptr(flags),
	})
}

// PivotRoot implements Syscall (recorded, not performed).
func (f *Fake) PivotRoot(newRoot, putOld string) error {
	return f.record(Call{Name: "pivot_root", Args: []string{quote(f.show(newRoot)), quote(f.show(putOld))}, Paths: []string{f.show(newRoot), f.show(putOld)}})
}

// Chroot implements Syscall (recorded, not performed).
func (f *Fake) Chroot(path string) error {
	return f.record(Call{Name: "chroot", Args: []string{quote(f.show(path))}, Paths: []string{f.show(path)}})
}

// Chdir implements Syscall (recorded, not performed).
func (f *Fake) Chdir(path string) error {
	return f.record(Call{Name: "chdir", Args: []string{quote(f.show(path))}, Paths: []string{f.show(path)}})
}

// Fchdir implements Syscall (recorded, not performed).
func (f *Fake) Fchdir(fd int) error {
	p := f.showFd(fd)
	return f.record(Call{Name: "fchdir", Args: []string{quote(p)}, Paths: []string{p}})
}

// Open implements Syscall: performed for real (tests use it on tmpdirs), and
// recorded because pivot code opens roots with it.
func (f *Fake) Open(path string, flags int, mode uint32) (int, error) {
	p := f.show(path)
	if err := f.record(Call{Name: "open", Args: []string{quote(p), fmt.Sprintf("%#x", flags)}, Paths: []string{p}, Flags: uintptr(flags)}); err != nil {
		return -1, err
	}
	return unix.Open(path, flags|unix.O_CLOEXEC, mode)
}

// Close implements Syscall (performed; recorded only with RecordQueries).
func (f *Fake) Close(fd int) error {
	if f.RecordQueries {
		if err := f.record(Call{Name: "close", Args: []string{strconv.Itoa(fd)}}); err != nil {
			return err
		}
	}
	return unix.Close(fd)
}

// Mknodat implements Syscall (recorded, not performed).
func (f *Fake) Mknodat(dirfd int, path string, mode uint32, dev uint64) error {
	p := f.at(dirfd, path)
	return f.record(Call{
		Name:  "mknod",
		Args:  []string{quote(p), modeString(mode), fmt.Sprintf("%d:%d", unix.Major(dev), unix.Minor(dev))},
		Paths: []string{p},
	})
}

func modeString(mode uint32) string {
	t := "?"
	switch mode & unix.S_IFMT {
	case unix.S_IFCHR:
		t = "c"
	case unix.S_IFBLK:
		t = "b"
	case unix.S_IFIFO:
		t = "p"
	case unix.S_IFREG:
		t = "f"
	case unix.S_IFDIR:
		t = "d"
	case 0:
		t = ""
	}
	return fmt.Sprintf("%s%04o", t, mode&^unix.S_IFMT)
}

// Fchownat implements Syscall (recorded, not performed).
func (f *Fake) Fchownat(dirfd int, path string, uid, gid, flags int) error {
	p := f.at(dirfd, path)
	return f.record(Call{Name: "chown", Args: []string{quote(p), strconv.Itoa(uid), strconv.Itoa(gid)}, Paths: []string{p}, Flags: uintptr(flags)})
}

// Fchmodat implements Syscall (recorded, not performed).
func (f *Fake) Fchmodat(dirfd int, path string, mode uint32, flags int) error {
	p := f.at(dirfd, path)
	return f.record(Call{Name: "chmod", Args: []string{quote(p), fmt.Sprintf("%04o", mode)}, Paths: []string{p}, Flags: uintptr(flags)})
}

// Symlinkat implements Syscall (recorded, not performed).
func (f *Fake) Symlinkat(target string, dirfd int, linkpath string) error {
	p := f.at(dirfd, linkpath)
	return f.record(Call{Name: "symlink", Args: []string{quote(target), quote(p)}, Paths: []string{p}})
}

// Unlinkat implements Syscall (recorded, not performed).
func (f *Fake) Unlinkat(dirfd int, path string, flags int) error {
	p := f.at(dirfd, path)
	return f.record(Call{Name: "unlink", Args: []string{quote(p)}, Paths: []string{p}, Flags: uintptr(flags)})
}

// Mkdirat implements Syscall: recorded and performed (unprivileged).
func (f *Fake) Mkdirat(dirfd int, path string, mode uint32) error {
	p := f.at(dirfd, path)
	if err := f.record(Call{Name: "mkdir", Args: []string{quote(p), fmt.Sprintf("%04o", mode)}, Paths: []string{p}}); err != nil {
		return err
	}
	return unix.Mkdirat(dirfd, path, mode)
}

// Fstat implements Syscall (passthrough unless FstatFunc is set).
func (f *Fake) Fstat(fd int, st *unix.Stat_t) error {
	p := f.showFd(fd)
	if f.RecordQueries {
		if err := f.record(Call{Name: "fstat", Args: []string{quote(p)}, Paths: []string{p}}); err != nil {
			return err
		}
	}
	if f.FstatFunc != nil {
		return f.FstatFunc(fd, p, st)
	}
	return unix.Fstat(fd, st)
}

// Fstatfs implements Syscall (passthrough unless FstatfsFunc is set).
func (f *Fake) Fstatfs(fd int, st *unix.Statfs_t) error {
	p := f.showFd(fd)
	if f.RecordQueries {
		if err := f.record(Call{Name: "fstatfs", Args: []string{quote(p)}, Paths: []string{p}}); err != nil {
			return err
		}
	}
	if f.FstatfsFunc != nil {
		return f.FstatfsFunc(fd, p, st)
	}
	return unix.Fstatfs(fd, st)
}

// Statfs implements Syscall (passthrough unless StatfsFunc is set).
func (f *Fake) Statfs(path string, st *unix.Statfs_t) error {
	p := f.show(path)
	if f.RecordQueries {
		if err := f.record(Call{Name: "statfs", Args: []string{quote(p)}, Paths: []string{p}}); err != nil {
			return err
		}
	}
	if f.StatfsFunc != nil {
		return f.StatfsFunc(p, st)
	}
	return unix.Statfs(path, st)
}

// Sethostname implements Syscall (recorded, not performed).
func (f *Fake) Sethostname(name string) error {
	return f.record(Call{Name: "sethostname", Args: []string{quote(name)}})
}

// Setdomainname implements Syscall (recorded, not performed).
func (f *Fake) Setdomainname(name string) error {
	return f.record(Call{Name: "setdomainname", Args: []string{quote(name)}})
}

// MountInfo implements Syscall: MountInfoFunc, or no mounts at all, so tests
// never depend on the host's mount table by accident.
func (f *Fake) MountInfo() ([]*mountinfo.Info, error) {
	if f.RecordQueries {
		if err := f.record(Call{Name: "mountinfo"}); err != nil {
			return nil, err
		}
	}
	if f.MountInfoFunc != nil {
		return f.MountInfoFunc()
	}
	return nil, nil
}

// ReadFile implements Syscall: ReadFileFunc, else the real file.
func (f *Fake) ReadFile(path string) ([]byte, error) {
	if f.RecordQueries {
		if err := f.record(Call{Name: "readfile", Args: []string{quote(path)}, Paths: []string{path}}); err != nil {
			return nil, err
		}
	}
	if f.ReadFileFunc != nil {
		return f.ReadFileFunc(path)
	}
	return readFile(path)
}
