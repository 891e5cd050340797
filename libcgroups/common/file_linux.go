package common

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// openFile opens dir/file for a cgroup control file access. file must be a
// bare file name: control files are always direct children of a cgroup dir,
// so a '/' or ".." in it is a bug or an attack. O_CREAT is never passed (a
// missing control file means the controller is not there, and creating a
// regular file in its place would hide that), the fd is close-on-exec
// (CVE-2024-21626 leaked a cgroupfs fd into a container) and the final
// component is not followed if it is a symlink. EINTR is retried: opening
// and writing cgroupfs files can block (freezer, cgroup.procs migration).
func openFile(dir, file string, flags int) (*os.File, error) {
	if file == "" || strings.ContainsRune(file, '/') || file == "." || file == ".." {
		return nil, fmt.Errorf("open %s/%s: control file must be a plain name: %w", dir, file, ErrInvalidPath)
	}
	p := filepath.Join(dir, file)
	for {
		fd, err := unix.Open(p, flags|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: p, Err: err}
		}
		return os.NewFile(uintptr(fd), p), nil
	}
}

// ReadFile returns the content of the control file dir/file.
func ReadFile(dir, file string) (string, error) {
	f, err := openFile(dir, file, unix.O_RDONLY)
	if err != nil {
		return "", err
	}
	defer f.Close()
	// os.File.Read already retries EINTR.
	b, err := io.ReadAll(f)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", f.Name(), err)
	}
	return string(b), nil
}

// WriteFile writes value to the control file dir/file in a single write(2),
// as cgroupfs parses each write on its own. The error names value and path:
// "write 42 to /sys/fs/cgroup/pids/x/pids.max: invalid argument".
//
// O_TRUNC matches what a shell redirection does; cgroupfs ignores it, and on
// the regular files of a fake tree in tests it makes the file hold the last
// value written, as reading the kernel file would.
func WriteFile(dir, file, value string) error {
	p := filepath.Join(dir, file)
	f, err := openFile(dir, file, unix.O_WRONLY|unix.O_TRUNC)
	if err != nil {
		return fmt.Errorf("write %s to %s: %w", value, p, unwrapPathErr(err))
	}
	defer f.Close()
	if err := writeAll(int(f.Fd()), []byte(value)); err != nil {
		return fmt.Errorf("write %s to %s: %w", value, p, err)
	}
	return nil
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// unwrapPathErr strips an *os.PathError so the outer message does not
// repeat the path; the errno stays wrapped for errors.Is.
func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadPids returns the pids in dir/cgroup.procs.
func ReadPids(dir string) ([]int, error) {
	s, err := ReadFile(dir, "cgroup.procs")
	if err != nil {
		return nil, err
	}
	pids, err := ParsePids([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, "cgroup.procs"), err)
	}
	return pids, nil
}

// ReadAllPids returns the pids in dir and every cgroup below it.
func ReadAllPids(dir string) ([]int, error) {
	var all []int
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", p, err)
		}
		if !d.IsDir() {
			return nil
		}
		pids, err := ReadPids(p)
		if err != nil {
			return err
		}
		all = append(all, pids...)
		return nil
	})
	return all, err
}

// AddPid moves pid (a whole thread group) into the cgroup dir.
func AddPid(dir string, pid int) error {
	return WriteFile(dir, "cgroup.procs", fmt.Sprint(pid))
}

// Exists reports whether dir exists and is a directory.
func Exists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}

// SignalAll sends sig to each pid. A process that has exited meanwhile
// (ESRCH) is not an error.
func SignalAll(pids []int, sig unix.Signal) error {
	var errs []error
	for _, pid := range pids {
		if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("signal %d to pid %d: %w", sig, pid, err))
		}
	}
	return errors.Join(errs...)
}

// Freezer is the part of a cgroup manager SignalFrozen needs.
type Freezer interface {
	FreezerState() (FreezerState, error)
	Freeze(FreezerState) error
	AllPids() ([]int, error)
}

// SignalFrozen sends sig to every process of the tree with the tree
// frozen, so no process forks a child the signal misses, then thaws it so
// the signal is delivered. A tree that was frozen already (a paused
// container) is signalled as it is and stays frozen; one without a
// freezer (Undefined) is signalled unfrozen. If freezing fails, warn is
// told and the processes are signalled unfrozen.
func SignalFrozen(f Freezer, sig unix.Signal, warn func(error)) error {
	thaw := false
	if st, err := f.FreezerState(); err == nil && st == Thawed {
		if err := f.Freeze(Frozen); err != nil {
			warn(err)
		} else {
			thaw = true
		}
	}
	pids, err := f.AllPids()
	if err == nil {
		err = SignalAll(pids, sig)
	}
	if thaw {
		if terr := f.Freeze(Thawed); terr != nil && err == nil {
			err = terr
		}
	}
	return err
}

// ReadPidsStats reads pids.current and pids.max from dir.
func ReadPidsStats(dir string, st *PidsStats) error {
	cur, err := ReadFile(dir, "pids.current")
	if err != nil {
		return fmt.Errorf("pids stats: %w", err)
	}
	if st.Current, err = ParseUintOrMax(cur); err != nil {
		return fmt.Errorf("parse %s: %w", filepath.Join(dir, "pids.current"), err)
	}
	max, err := ReadFile(dir, "pids.max")
	if err != nil {
		return fmt.Errorf("pids stats: %w", err)
	}
	if st.Limit, err = ParseUintOrMax(max); err != nil {
		return fmt.Errorf("parse %s: %w", filepath.Join(dir, "pids.max"), err)
	}
	return nil
}
