package ocicli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseSubCgroupPaths parses exec --cgroup values. Each is either
// "ctrl[,ctrl...]:path" (cgroup v1: the path under each named controller)
// or, when it is the only value, a bare "path" (cgroup v2), returned under
// the empty controller name. A controller named twice is an error.
func ParseSubCgroupPaths(values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	paths := make(map[string]string, len(values))
	for _, v := range values {
		ctrls, path, ok := strings.Cut(v, ":")
		if !ok {
			if len(values) != 1 {
				return nil, fmt.Errorf("invalid --cgroup %q: several --cgroup values need a <controller>: prefix each", v)
			}
			if v == "" {
				return nil, fmt.Errorf("invalid --cgroup %q: empty path", v)
			}
			paths[""] = v
			continue
		}
		for ctrl := range strings.SplitSeq(ctrls, ",") {
			if ctrl == "" {
				return nil, fmt.Errorf("invalid --cgroup %q: empty controller name", v)
			}
			if _, dup := paths[ctrl]; dup {
				return nil, fmt.Errorf("invalid --cgroup %q: controller %s given more than once", v, ctrl)
			}
			paths[ctrl] = path
		}
	}
	return paths, nil
}

// parseUser parses exec --user "uid[:gid]" (numbers only, like runc: names
// would need the container's /etc/passwd, which the runtime resolves).
func parseUser(s string) (uid uint32, gid *uint32, err error) {
	us, gs, hasGID := strings.Cut(s, ":")
	u, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return 0, nil, fmt.Errorf("invalid --user %q: uid %q is not a number in 0-%d", s, us, uint32(math.MaxUint32))
	}
	if hasGID {
		g, err := strconv.ParseUint(gs, 10, 32)
		if err != nil {
			return 0, nil, fmt.Errorf("invalid --user %q: gid %q is not a number in 0-%d", s, gs, uint32(math.MaxUint32))
		}
		g32 := uint32(g)
		gid = &g32
	}
	return uint32(u), gid, nil
}

// parseBytes parses a memory size the way runc's update does (docker's
// RAMInBytes): "-1" (unlimited), a plain number of bytes, or a number with
// a binary unit k, m, g, t or p, optionally followed by "b" or "ib", in any
// case, with an optional space ("512m", "1.5 GiB").
func parseBytes(flag, s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "b")
	t = strings.TrimSuffix(t, "i")
	mult := 1.0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		case 'p':
			mult = 1 << 50
		}
		if mult != 1 {
			t = strings.TrimSpace(t[:n-1])
		}
	}
	if t == "" || strings.ContainsAny(t, "+-eExX_") {
		return 0, fmt.Errorf("invalid --%s %q: want bytes, a size like 512m, or -1", flag, s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid --%s %q: want bytes, a size like 512m, or -1", flag, s)
	}
	v := f * mult
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid --%s %q: too large", flag, s)
	}
	return int64(v), nil
}
