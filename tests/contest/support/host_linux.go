package support

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// CgroupRoot is where cgroup hierarchies are mounted.
const CgroupRoot = "/sys/fs/cgroup"

// IsCgroup2Root says whether dir is a cgroup2 mount.
func IsCgroup2Root(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// UnifiedRoot is the cgroup2 mount: /sys/fs/cgroup on a unified host,
// /sys/fs/cgroup/unified on a hybrid one, "" on a legacy one.
func UnifiedRoot() string {
	if IsCgroup2Root(CgroupRoot) {
		return CgroupRoot
	}
	if IsCgroup2Root(filepath.Join(CgroupRoot, "unified")) {
		return filepath.Join(CgroupRoot, "unified")
	}
	return ""
}

// IsUnified says whether the host is cgroup2 only.
func IsUnified() bool { return IsCgroup2Root(CgroupRoot) }

// HasV1Controller says whether controller has a v1 hierarchy.
func HasV1Controller(controller string) bool {
	dir := filepath.Join(CgroupRoot, controller)
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil || st.Type != unix.CGROUP_SUPER_MAGIC {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "cgroup.procs"))
	return err == nil
}

// HasV2Controller says whether the cgroup2 root offers controller.
func HasV2Controller(controller string) bool {
	root := UnifiedRoot()
	if root == "" {
		return false
	}
	data, err := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
	return err == nil && slices.Contains(strings.Fields(string(data)), controller)
}

// hierarchies lists every cgroup hierarchy root (v1 and cgroup2).
func hierarchies() []string {
	if IsUnified() {
		return []string{CgroupRoot}
	}
	var out []string
	ents, _ := os.ReadDir(CgroupRoot)
	for _, e := range ents {
		dir := filepath.Join(CgroupRoot, e.Name())
		// cpu and cpuacct are often symlinks to "cpu,cpuacct": skip links
		// so each hierarchy is visited once.
		if e.Type()&fs.ModeSymlink != 0 {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err == nil {
			out = append(out, dir)
		}
	}
	return out
}

// RemoveCgroup removes the cgroup path (absolute cgroupsPath form) and
// everything below it from every hierarchy, waiting briefly for dying
// processes to leave. A cgroup that stays busy is an error naming it.
func RemoveCgroup(path string) error {
	if path == "" || path == "/" || strings.Contains(path, "..") {
		return fmt.Errorf("remove cgroup: refusing path %q", path)
	}
	var errs []error
	for _, h := range hierarchies() {
		top := filepath.Join(h, path)
		if _, err := os.Stat(top); err != nil {
			continue
		}
		var dirs []string
		_ = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			d := dirs[i]
			err := Poll(context.Background(), 5*time.Second, "rmdir "+d, func() (bool, string, error) {
				err := unix.Rmdir(d)
				if err == nil || errors.Is(err, unix.ENOENT) {
					return true, "", nil
				}
				if errors.Is(err, unix.EBUSY) {
					procs, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
					return false, "busy, procs: " + strings.Join(strings.Fields(string(procs)), " "), nil
				}
				return false, "", fmt.Errorf("rmdir %s: %w", d, err)
			})
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// ReadCgroupFile reads a cgroup file of the container's cgroup (of
// cgroupsPath cgPath, CgroupDir) in hierarchy root (e.g.
// /sys/fs/cgroup/pids) and trims it.
func ReadCgroupFile(root, cgPath, file string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, CgroupDir(cgPath), file))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}

// CheckCgroupFile fails unless the cgroup file holds want.
func CheckCgroupFile(root, cgPath, file, want string) error {
	got, err := ReadCgroupFile(root, cgPath, file)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s: got %q, want %q", filepath.Join(root, CgroupDir(cgPath), file), got, want)
	}
	return nil
}

var (
	criuOnce   sync.Once
	criuOK     bool
	criuReason string
)

// CriuUsable runs `criu check` once: checkpoint tests need a criu that
// works with this kernel.
func CriuUsable() (bool, string) {
	criuOnce.Do(func() {
		p, err := exec.LookPath("criu")
		if err != nil {
			criuReason = "criu is not installed"
			return
		}
		out, err := exec.Command(p, "check").CombinedOutput()
		if err != nil {
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			criuReason = fmt.Sprintf("`criu check` fails on this kernel (%v): %s", err, lines[len(lines)-1])
			return
		}
		criuOK = true
	})
	return criuOK, criuReason
}

// CriuPreDumpUsable is CriuUsable plus the kernel's dirty memory tracking
// (soft-dirty bits, CONFIG_MEM_SOFT_DIRTY), without which CRIU cannot
// pre-dump.
func CriuPreDumpUsable() (bool, string) {
	if ok, why := CriuUsable(); !ok {
		return ok, why
	}
	out, err := exec.Command("criu", "check", "--feature", "mem_dirty_track").CombinedOutput()
	if err != nil || strings.Contains(string(out), "Dirty tracking is OFF") {
		return false, "the kernel has no dirty memory tracking (CONFIG_MEM_SOFT_DIRTY): CRIU cannot pre-dump"
	}
	return true, ""
}

// ResctrlMounted says whether /sys/fs/resctrl is a resctrl mount.
func ResctrlMounted() (bool, string) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err == nil && strings.Contains(string(data), " - resctrl ") {
		return true, ""
	}
	return false, "resctrl is not mounted (no Intel RDT on this host)"
}

// KernelHas says whether path exists (a proc/sys feature file).
func KernelHas(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// MountShared says whether the mount holding path has shared propagation.
func MountShared(path string) bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	best, shared := "", false
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 7 {
			continue
		}
		mp := f[4]
		if (path == mp || strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/")) && len(mp) >= len(best) {
			best = mp
			shared = false
			for _, opt := range f[6:] {
				if opt == "-" {
					break
				}
				if strings.HasPrefix(opt, "shared:") {
					shared = true
				}
			}
		}
	}
	return shared
}
