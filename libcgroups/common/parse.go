package common

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// ProcCgroup is one line of /proc/<pid>/cgroup: "hierarchy-id:controllers:path".
// On cgroup v2 the line is "0::/path" (ID 0, no controllers).
type ProcCgroup struct {
	ID          int
	Controllers []string // e.g. ["cpu","cpuacct"] or ["name=systemd"]
	Path        string
}

// ParseProcCgroup parses the content of /proc/<pid>/cgroup (cgroups(7)).
func ParseProcCgroup(data []byte) ([]ProcCgroup, error) {
	var out []ProcCgroup
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		// The path is last and may itself contain ':'.
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("parse /proc/self/cgroup line %d %q: want id:controllers:path", n, line)
		}
		id, err := strconv.Atoi(parts[0])
		if err != nil || id < 0 {
			return nil, fmt.Errorf("parse /proc/self/cgroup line %d %q: bad hierarchy id", n, line)
		}
		if !strings.HasPrefix(parts[2], "/") {
			return nil, fmt.Errorf("parse /proc/self/cgroup line %d %q: path is not absolute", n, line)
		}
		var ctrls []string
		if parts[1] != "" {
			ctrls = strings.Split(parts[1], ",")
		}
		if id != 0 && len(ctrls) == 0 {
			return nil, fmt.Errorf("parse /proc/self/cgroup line %d %q: v1 hierarchy without controllers", n, line)
		}
		out = append(out, ProcCgroup{ID: id, Controllers: ctrls, Path: parts[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read /proc/self/cgroup: %w", err)
	}
	return out, nil
}

// Mount is a cgroup or cgroup2 mount from /proc/<pid>/mountinfo (proc(5)).
type Mount struct {
	// Root is the path inside the hierarchy that is mounted (field 4),
	// "/" unless this is a bind mount of a sub-cgroup or a cgroup namespace.
	Root       string
	Mountpoint string
	FSType     string   // "cgroup" or "cgroup2"
	SuperOpts  []string // e.g. ["rw","cpu","cpuacct"] or ["rw","name=systemd"]
}

// ParseCgroupMounts returns the cgroup and cgroup2 mounts listed in
// mountinfo content, in order. Other filesystems are skipped.
func ParseCgroupMounts(data []byte) ([]Mount, error) {
	var out []Mount
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		// id parent maj:min root mountpoint opts [optional...] - fstype source superopts
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			return nil, fmt.Errorf("parse mountinfo line %d %q: no ' - ' separator", n, line)
		}
		pf := strings.Fields(pre)
		qf := strings.Fields(post)
		if len(pf) < 6 || len(qf) < 3 {
			return nil, fmt.Errorf("parse mountinfo line %d %q: too few fields", n, line)
		}
		if qf[0] != "cgroup" && qf[0] != "cgroup2" {
			continue
		}
		root, err := unescapeOctal(pf[3])
		if err != nil {
			return nil, fmt.Errorf("parse mountinfo line %d root: %w", n, err)
		}
		mp, err := unescapeOctal(pf[4])
		if err != nil {
			return nil, fmt.Errorf("parse mountinfo line %d mountpoint: %w", n, err)
		}
		out = append(out, Mount{Root: root, Mountpoint: mp, FSType: qf[0], SuperOpts: strings.Split(qf[2], ",")})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return out, nil
}

// unescapeOctal undoes the kernel's \ooo escaping of space, tab, newline and
// backslash in mountinfo paths.
func unescapeOctal(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+3 >= len(s) {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String(), nil
}

// CleanPath validates a linux.cgroupsPath value (already defaulted, never
// empty) and returns it lexically cleaned, keeping it absolute or relative.
// A ".." that climbs above the start (the hierarchy root for an absolute
// path, the caller's own cgroup for a relative one) is rejected rather than
// silently clipped, and so is a path naming the start itself: Destroy would
// otherwise try to remove a cgroup the runtime does not own.
func CleanPath(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("linux.cgroupsPath is empty: %w", ErrInvalidPath)
	}
	if strings.ContainsRune(p, 0) {
		return "", fmt.Errorf("linux.cgroupsPath %q contains a NUL byte: %w", p, ErrInvalidPath)
	}
	abs := strings.HasPrefix(p, "/")
	var elems []string
	for _, e := range strings.Split(p, "/") {
		switch e {
		case "", ".":
		case "..":
			if len(elems) == 0 {
				return "", fmt.Errorf("linux.cgroupsPath %q escapes its cgroup root: %w", p, ErrInvalidPath)
			}
			elems = elems[:len(elems)-1]
		default:
			elems = append(elems, e)
		}
	}
	if len(elems) == 0 {
		return "", fmt.Errorf("linux.cgroupsPath %q names the cgroup root itself: %w", p, ErrInvalidPath)
	}
	out := path.Join(elems...)
	if abs {
		out = "/" + out
	}
	return out, nil
}

// ParsePids parses cgroup.procs or tasks content: one decimal pid per line.
func ParsePids(data []byte) ([]int, error) {
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("bad pid %q", f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// ParseFlatKeyed parses "key value" lines (cgroup.events, memory.events,
// memory.oom_control, pids.events) into a map. Values are unsigned integers.
func ParseFlatKeyed(data []byte) (map[string]uint64, error) {
	m := map[string]uint64{}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("bad line %q: want \"key value\"", line)
		}
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad line %q: %w", line, err)
		}
		m[f[0]] = v
	}
	return m, nil
}

// ParseUintOrMax parses a single-value file such as pids.max, where "max"
// means unlimited and is returned as 0.
func ParseUintOrMax(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" {
		return 0, nil
	}
	return strconv.ParseUint(s, 10, 64)
}
