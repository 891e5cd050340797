package rootfs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	lsys "github.com/gocontainer/gocontainer/libcontainer/syscall"
)

// hostCgroupRoot is where the host's cgroup filesystems are mounted.
const hostCgroupRoot = "/sys/fs/cgroup"

const cgroupMountFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// v1 controllers the kernel can offer; anything else in a cgroup mount's
// super options (rw, clone_children, ...) is not a controller.
var v1Controllers = map[string]bool{
	"cpu": true, "cpuacct": true, "cpuset": true, "memory": true, "devices": true, "freezer": true,
	"blkio": true, "pids": true, "hugetlb": true, "net_cls": true, "net_prio": true, "perf_event": true,
	"rdma": true, "misc": true,
}

// mountCgroup handles `type: cgroup` like runc: on a cgroup2 host a cgroup2
// mount (or a bind of the container's cgroup when it cannot be mounted); on a
// v1 or hybrid host a tmpfs holding one mount per host hierarchy (mounted
// fresh inside a cgroup namespace, else a bind of the container's own cgroup
// directory in that hierarchy) plus symlinks for co-mounted controllers.
func (st *setup) mountCgroup(m *specs.Mount, dest string, mo mountOptions) error {
	var sfs unix.Statfs_t
	if err := st.s.Statfs(hostCgroupRoot, &sfs); err != nil {
		return fmt.Errorf("mount cgroup on %s: statfs %s: %w", dest, hostCgroupRoot, err)
	}
	self, err := st.selfCgroups()
	if err != nil {
		return fmt.Errorf("mount cgroup on %s: %w", dest, err)
	}
	if sfs.Type == unix.CGROUP2_SUPER_MAGIC {
		return st.mountCgroup2(dest, mo, self)
	}
	return st.mountCgroupV1(m, dest, mo, self)
}

func (st *setup) mountCgroup2(dest string, mo mountOptions, self map[string]string) error {
	h, err := st.dirDest(dest)
	if err != nil {
		return err
	}
	defer h.Close()
	flags := mo.Flags&^(unix.MS_BIND|unix.MS_REC|unix.MS_REMOUNT) | cgroupMountFlags
	err = st.doMount("cgroup2", dest, h, "cgroup2", flags, mo.Data)
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EBUSY) {
		// No cgroup namespace (or not allowed to mount cgroup2): bind the
		// container's own cgroup so it does not see the host's tree.
		err = st.bindCgroup(dest, h, filepath.Join(hostCgroupRoot, self[""]), flags)
	}
	if err != nil {
		return err
	}
	top, err := st.reopen(dest)
	if err != nil {
		return err
	}
	defer top.Close()
	return st.afterMount(dest, top, mo)
}

func (st *setup) bindCgroup(dest string, h *os.File, src string, flags uintptr) error {
	if err := st.doMount(src, dest, h, "bind", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	top, err := st.reopen(dest)
	if err != nil {
		return err
	}
	defer top.Close()
	return st.remountBind(dest, top, flags)
}

type hierarchy struct {
	mountpoint string // host mount point, /sys/fs/cgroup/<name>
	root       string // mountinfo root of that mount
	fstype     string // cgroup or cgroup2
	subsystems []string
}

func (st *setup) hostHierarchies() ([]hierarchy, error) {
	mounts, err := st.hostMounts()
	if err != nil {
		return nil, err
	}
	var out []hierarchy
	for _, m := range mounts {
		if (m.FSType != "cgroup" && m.FSType != "cgroup2") || filepath.Dir(m.Mountpoint) != hostCgroupRoot {
			continue
		}
		h := hierarchy{mountpoint: m.Mountpoint, root: m.Root, fstype: m.FSType}
		if m.FSType == "cgroup" {
			for _, o := range strings.Split(m.VFSOptions+","+m.Options, ",") {
				if v1Controllers[o] || strings.HasPrefix(o, "name=") {
					h.subsystems = append(h.subsystems, o)
				}
			}
			// VFSOptions is the super-block options in moby's mountinfo.
			h.subsystems = dedup(h.subsystems)
			if len(h.subsystems) == 0 {
				continue
			}
		}
		out = append(out, h)
	}
	return out, nil
}

func dedup(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// selfCgroups parses /proc/self/cgroup: controller (or "name=x", or "" for
// cgroup2) -> path.
func (st *setup) selfCgroups() (map[string]string, error) {
	data, err := st.s.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read /proc/self/cgroup: %w", err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, sc.Err()
}

func (st *setup) mountCgroupV1(m *specs.Mount, dest string, mo mountOptions, self map[string]string) error {
	hs, err := st.hostHierarchies()
	if err != nil {
		return fmt.Errorf("mount cgroup on %s: %w", dest, err)
	}
	h, err := st.dirDest(dest)
	if err != nil {
		return err
	}
	defer h.Close()
	source := m.Source
	if source == "" {
		source = "tmpfs"
	}
	if err := st.doMount(source, dest, h, "tmpfs", cgroupMountFlags, "mode=755"); err != nil {
		return err
	}
	top, err := st.reopen(dest)
	if err != nil {
		return err
	}
	defer top.Close()

	cgroupns := st.hasNamespace(specs.CgroupNamespace)
	flags := mo.Flags&^(unix.MS_BIND|unix.MS_REC|unix.MS_REMOUNT) | cgroupMountFlags
	var links []string
	for _, hier := range hs {
		name := filepath.Base(hier.mountpoint)
		sub := filepath.Join(dest, name)
		sh, err := subdir(top, name)
		if err != nil {
			return fmt.Errorf("create cgroup mount point %s: %w", sub, err)
		}
		err = st.mountHierarchy(sub, sh, hier, self, cgroupns, flags)
		sh.Close()
		if err != nil {
			return err
		}
		if strings.Contains(name, ",") {
			links = append(links, name)
		}
	}
	// cpu,cpuacct style co-mounts get one symlink per controller.
	sort.Strings(links)
	for _, name := range links {
		for _, c := range strings.Split(name, ",") {
			if err := st.s.Symlinkat(name, int(top.Fd()), c); err != nil && !errors.Is(err, unix.EEXIST) {
				return fmt.Errorf("symlink %s -> %s: %w", filepath.Join(dest, c), name, err)
			}
		}
	}
	if mo.Flags&unix.MS_RDONLY != 0 {
		remount := uintptr(unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY) | cgroupMountFlags
		if err := st.s.Mount("", lsys.FdPath(int(top.Fd())), "", remount, ""); err != nil {
			return fmt.Errorf("remount cgroup tmpfs on %s read-only (flags %#x): %w", dest, remount, err)
		}
	}
	return st.afterMount(dest, top, mo)
}

func (st *setup) mountHierarchy(sub string, sh *os.File, hier hierarchy, self map[string]string, cgroupns bool, flags uintptr) error {
	if cgroupns {
		typ, data := hier.fstype, strings.Join(hier.subsystems, ",")
		err := st.doMount(typ, sub, sh, typ, flags, data)
		if !errors.Is(err, unix.EPERM) {
			return err
		}
		// Not allowed to mount the hierarchy (e.g. a user namespace
		// without privilege over it): fall back to a bind.
	}
	key := ""
	if hier.fstype == "cgroup" {
		key = hier.subsystems[0]
	}
	rel, ok := self[key]
	if !ok {
		return fmt.Errorf("mount cgroup on %s: no entry for %q in /proc/self/cgroup", sub, key)
	}
	// The hierarchy may be mounted from a sub-tree (its mountinfo root).
	if r, err := filepath.Rel(hier.root, rel); err == nil && !strings.HasPrefix(r, "..") {
		rel = r
	} else {
		rel = "."
	}
	return st.bindCgroup(sub, sh, filepath.Join(hier.mountpoint, rel), flags)
}

// subdir creates (if missing) and opens the directory name right below
// top, the tmpfs just mounted for the cgroup hierarchies: a plain
// mkdirat + openat(O_NOFOLLOW) is exact there, nothing else can have put a
// symlink in it.
func subdir(top *os.File, name string) (*os.File, error) {
	if strings.Contains(name, "/") || name == "." || name == ".." {
		return nil, fmt.Errorf("cgroup mount point name %q is not a single path component", name)
	}
	if err := unix.Mkdirat(int(top.Fd()), name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, os.NewSyscallError("mkdirat", err)
	}
	fd, err := unix.Openat(int(top.Fd()), name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("openat", err)
	}
	return os.NewFile(uintptr(fd), name), nil
}
