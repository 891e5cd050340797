package systemd

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidPath means linux.cgroupsPath is not a valid "slice:prefix:name"
// for the systemd driver. It wraps common.ErrInvalidPath in messages built
// by the caller.
var ErrInvalidPath = errors.New("invalid systemd cgroupsPath")

// DefaultPrefix is the scope prefix of an empty linux.cgroupsPath
// ("gocontainer-<id>.scope"), as runc uses "runc".
const DefaultPrefix = "gocontainer"

// Unit is where a container's cgroup lives under systemd.
type Unit struct {
	// Slice is the parent slice unit ("system.slice").
	Slice string
	// Name is the container's unit: "prefix-name.scope", or a slice unit
	// when the path's name part already ends in ".slice" (runc's rule,
	// used by kubelet for pod cgroups).
	Name string
}

// IsSlice reports whether the container's unit is itself a slice.
func (u Unit) IsSlice() bool { return strings.HasSuffix(u.Name, ".slice") }

// CgroupPath is the unit's cgroup below the manager's own cgroup:
// "/system.slice/gocontainer-x.scope", "/a.slice/a-b.slice/x.scope".
func (u Unit) CgroupPath() (string, error) {
	s, err := ExpandSlice(u.Slice)
	if err != nil {
		return "", err
	}
	if u.IsSlice() {
		// A slice unit's cgroup is its own expansion; its parent slice
		// must be the prefix of its name, which ExpandSlice checks.
		return ExpandSlice(u.Name)
	}
	if s == "/" {
		return "/" + u.Name, nil
	}
	return s + "/" + u.Name, nil
}

// ParsePath parses linux.cgroupsPath for the systemd driver with runc's
// defaults: "" is defSlice ("system.slice", or "user.slice" for the user
// instance) and the scope "gocontainer-<id>.scope"; otherwise exactly three
// colon-separated parts "slice:prefix:name", where an empty slice is
// defSlice, an empty prefix gives "name.scope" and a name ending in
// ".slice" makes the container's unit that slice. Errors name the field
// and the value.
func ParsePath(path, id, defSlice string) (Unit, error) {
	const f = "linux.cgroupsPath"
	if path == "" {
		if id == "" {
			return Unit{}, fmt.Errorf("%s: empty, and no container id to name the unit: %w", f, ErrInvalidPath)
		}
		u := Unit{Slice: defSlice, Name: DefaultPrefix + "-" + id + ".scope"}
		return u, u.check(f, path)
	}
	parts := strings.Split(path, ":")
	if len(parts) != 3 {
		return Unit{}, fmt.Errorf("%s: %q is not in the systemd form slice:prefix:name (%d parts): %w", f, path, len(parts), ErrInvalidPath)
	}
	slice, prefix, name := parts[0], parts[1], parts[2]
	if slice == "" {
		slice = defSlice
	}
	if name == "" {
		return Unit{}, fmt.Errorf("%s: %q: the name part is empty: %w", f, path, ErrInvalidPath)
	}
	u := Unit{Slice: slice}
	switch {
	case strings.HasSuffix(name, ".slice"):
		u.Name = name
	case prefix == "":
		u.Name = name + ".scope"
	default:
		u.Name = prefix + "-" + name + ".scope"
	}
	return u, u.check(f, path)
}

func (u Unit) check(f, path string) error {
	if !strings.HasSuffix(u.Slice, ".slice") {
		return fmt.Errorf("%s: %q: parent %q is not a slice (want NAME.slice): %w", f, path, u.Slice, ErrInvalidPath)
	}
	if _, err := ExpandSlice(u.Slice); err != nil {
		return fmt.Errorf("%s: %q: %w", f, path, err)
	}
	if err := checkUnitName(u.Name); err != nil {
		return fmt.Errorf("%s: %q: %w", f, path, err)
	}
	if u.IsSlice() {
		p, err := ExpandSlice(u.Name)
		if err != nil {
			return fmt.Errorf("%s: %q: %w", f, path, err)
		}
		parent, _ := ExpandSlice(u.Slice)
		if parent != "/" && !strings.HasPrefix(p, parent+"/") {
			return fmt.Errorf("%s: %q: slice %q is not a child of %q (its name must start with %q): %w",
				f, path, u.Name, u.Slice, strings.TrimSuffix(u.Slice, ".slice")+"-", ErrInvalidPath)
		}
	}
	return nil
}

// checkUnitName accepts what systemd's unit_name_is_valid accepts for a
// plain (non-template) unit: at most 255 bytes of [A-Za-z0-9:_.\-] with a
// non-empty name before the type suffix.
func checkUnitName(n string) error {
	if len(n) > 255 {
		return fmt.Errorf("unit name %q longer than 255 bytes: %w", n, ErrInvalidPath)
	}
	dot := strings.LastIndexByte(n, '.')
	if dot <= 0 {
		return fmt.Errorf("unit name %q has no name before its type: %w", n, ErrInvalidPath)
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(":_.-\\", c) >= 0 {
			continue
		}
		return fmt.Errorf("unit name %q: character %q is not allowed in systemd unit names: %w", n, c, ErrInvalidPath)
	}
	return nil
}

// ExpandSlice turns a slice unit name into its cgroup path, as systemd
// nests slices by the dashes in their names: "-.slice" is "/",
// "system.slice" is "/system.slice", "a-b-c.slice" is
// "/a.slice/a-b.slice/a-b-c.slice".
func ExpandSlice(slice string) (string, error) {
	name, ok := strings.CutSuffix(slice, ".slice")
	if !ok {
		return "", fmt.Errorf("slice %q does not end in .slice: %w", slice, ErrInvalidPath)
	}
	if name == "-" {
		return "/", nil
	}
	if name == "" || strings.Contains(name, "/") || strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") || strings.Contains(name, "--") {
		return "", fmt.Errorf("invalid slice name %q (no /, no empty part between dashes): %w", slice, ErrInvalidPath)
	}
	if err := checkUnitName(slice); err != nil {
		return "", err
	}
	var b strings.Builder
	prefix := ""
	for _, part := range strings.Split(name, "-") {
		if prefix != "" {
			prefix += "-"
		}
		prefix += part
		b.WriteString("/" + prefix + ".slice")
	}
	return b.String(), nil
}
