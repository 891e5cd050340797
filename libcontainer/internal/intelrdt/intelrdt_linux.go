// Package intelrdt puts a container into a resctrl group (Intel RDT, AMD
// PQoS) for linux.intelRdt: cache allocation (l3CacheSchema), memory
// bandwidth allocation (memBwSchema), full schemata, and a monitoring group
// (enableMonitoring), the way runc does.
//
// resctrl is a filesystem (Documentation/filesystems/resctrl.rst): a
// group is a directory of the resctrl mount; its "schemata" file holds the
// allocation lines, its "tasks" file the pids in it; "info/<resource>"
// exists for every resource the hardware offers; monitoring groups are
// directories under "mon_groups". The root is a parameter so the package
// is unit tested against a fake tree laid out the same way.
package intelrdt

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ErrNotMounted is returned (wrapped) when no resctrl filesystem is
// mounted: the host has no Intel RDT / AMD QoS, or nobody mounted it.
var ErrNotMounted = errors.New("resctrl filesystem is not mounted (Intel RDT / AMD QoS unavailable on this host)")

// Root returns the mount point of the resctrl filesystem.
func Root() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("find resctrl: %w", err)
	}
	defer f.Close()
	return RootFrom(f)
}

// RootFrom is Root reading a mountinfo table from r.
func RootFrom(r io.Reader) (string, error) {
	mounts, err := mountinfo.GetMountsFromReader(r, mountinfo.FSTypeFilter("resctrl"))
	if err != nil {
		return "", fmt.Errorf("find resctrl: parse mountinfo: %w", err)
	}
	if len(mounts) == 0 {
		return "", ErrNotMounted
	}
	return mounts[0].Mountpoint, nil
}

// Group is a container's resctrl group, as recorded in the container's
// state so that update and delete find it without the config.
type Group struct {
	// Path is the group directory: <root>/<closID>, or <root>/<id>.
	Path string `json:"path"`
	// MonPath is the monitoring group, <Path>/mon_groups/<id>, if any.
	MonPath string `json:"mon_path,omitempty"`
	// Owned says the runtime creates the group and removes it on delete.
	// A group named by closID that already exists is shared (often
	// managed by someone else): it is joined, never removed, as in runc.
	Owned bool `json:"owned,omitempty"`

	// rmdir removes a group directory; nil is rmdir(2), which on resctrl
	// removes a group with its files. Tests of a plain-directory fake set
	// os.RemoveAll.
	rmdir func(string) error
}

// NewGroup validates c against the resctrl tree at root and plans the
// group of container id. Nothing is created yet (see Apply), so the plan
// can be recorded first and a failed or killed create cleaned up.
func NewGroup(root, id string, c *specs.LinuxIntelRdt) (*Group, error) {
	if err := Validate(root, c); err != nil {
		return nil, err
	}
	name := id
	if c.ClosID != "" {
		name = c.ClosID
	}
	g := &Group{Path: filepath.Join(root, name)}
	_, err := os.Stat(g.Path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		g.Owned = true
	case err != nil:
		return nil, fmt.Errorf("linux.intelRdt: %w", err)
	case c.ClosID == "":
		// The container's own group must be new: removing it on delete
		// must never take someone else's.
		return nil, fmt.Errorf("linux.intelRdt: resctrl group %s already exists", g.Path)
	}
	if c.EnableMonitoring {
		g.MonPath = filepath.Join(g.Path, "mon_groups", id)
	}
	return g, nil
}

// reserved are the names in a resctrl group directory that a closID may
// not take.
var reserved = map[string]bool{"info": true, "mon_groups": true, "mon_data": true, "tasks": true, "cpus": true,
	"cpus_list": true, "schemata": true, "mode": true, "size": true}

// Validate checks linux.intelRdt against what the resctrl tree at root
// offers (its info directory), naming the field.
func Validate(root string, c *specs.LinuxIntelRdt) error {
	if c.ClosID != "" {
		if strings.ContainsAny(c.ClosID, "/\x00") || c.ClosID == "." || c.ClosID == ".." || reserved[c.ClosID] {
			return fmt.Errorf("linux.intelRdt.closID %q: not a valid resctrl group name", c.ClosID)
		}
	}
	if c.L3CacheSchema != "" {
		if err := checkLines(root, "linux.intelRdt.l3CacheSchema", c.L3CacheSchema, "L3"); err != nil {
			return err
		}
	}
	if c.MemBwSchema != "" {
		if err := checkLines(root, "linux.intelRdt.memBwSchema", c.MemBwSchema, "MB"); err != nil {
			return err
		}
	}
	for i, l := range c.Schemata {
		if err := checkLines(root, fmt.Sprintf("linux.intelRdt.schemata[%d]", i), l, ""); err != nil {
			return err
		}
	}
	if c.EnableMonitoring {
		if _, err := os.Stat(filepath.Join(root, "info", "L3_MON")); err != nil {
			return fmt.Errorf("linux.intelRdt.enableMonitoring: the host's resctrl has no monitoring (%s missing)", filepath.Join(root, "info", "L3_MON"))
		}
	}
	return nil
}

// checkLines checks schemata lines "RESOURCE:id=value;...": the resource
// must exist in root/info (L3, L3CODE, L3DATA, L2, MB, SMBA...), and be
// want if given (l3CacheSchema holds L3 lines, memBwSchema MB lines; CDP
// variants of L3 count as L3).
func checkLines(root, field, text, want string) error {
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		res, rest, ok := strings.Cut(line, ":")
		res = strings.TrimSpace(res)
		if !ok || res == "" || strings.TrimSpace(rest) == "" || strings.ContainsAny(res, "/\x00") {
			return fmt.Errorf("%s: %q is not a schemata line (RESOURCE:id=value;...)", field, line)
		}
		if want != "" && res != want && !(want == "L3" && (res == "L3CODE" || res == "L3DATA")) {
			return fmt.Errorf("%s: %q is a %s line, want %s", field, line, res, want)
		}
		if _, err := os.Stat(filepath.Join(root, "info", res)); err != nil {
			return fmt.Errorf("%s: the host's resctrl has no %s resource (%s missing)", field, res, filepath.Join(root, "info", res))
		}
	}
	return nil
}

// Apply creates the group (if owned), writes its schemata and moves pid
// into it, and into the monitoring group if there is one.
func (g *Group) Apply(c *specs.LinuxIntelRdt, pid int) error {
	if err := os.Mkdir(g.Path, 0o755); err != nil && !(errors.Is(err, os.ErrExist) && !g.Owned) {
		return fmt.Errorf("linux.intelRdt: create resctrl group: %w", err)
	}
	if err := g.writeSchemata(schemata(c)); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(g.Path, "tasks"), strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("linux.intelRdt: add pid %d: %w", pid, err)
	}
	if g.MonPath != "" {
		// resctrl makes mon_groups in every new group; MkdirAll also
		// suits a fake tree.
		if err := os.MkdirAll(g.MonPath, 0o755); err != nil {
			return fmt.Errorf("linux.intelRdt.enableMonitoring: create monitoring group: %w", err)
		}
		if err := writeFile(filepath.Join(g.MonPath, "tasks"), strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("linux.intelRdt.enableMonitoring: add pid %d: %w", pid, err)
		}
	}
	return nil
}

// Set changes the group's L3 and MB allocation (update --l3-cache-schema,
// --mem-bw-schema); an empty schema leaves that resource alone.
func (g *Group) Set(root, l3, mb string) error {
	c := &specs.LinuxIntelRdt{L3CacheSchema: l3, MemBwSchema: mb}
	if err := Validate(root, c); err != nil {
		return err
	}
	return g.writeSchemata(schemata(c))
}

// Destroy removes the monitoring group and, if the runtime created it,
// the group. The kernel moves any task left in them to the parent group;
// missing directories are not an error (delete must be repeatable).
func (g *Group) Destroy() error {
	rmdir := g.rmdir
	if rmdir == nil {
		rmdir = func(p string) error {
			if err := unix.Rmdir(p); err != nil {
				return &os.PathError{Op: "rmdir", Path: p, Err: err}
			}
			return nil
		}
	}
	var errs []error
	if g.MonPath != "" {
		if err := rmdir(g.MonPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if g.Owned {
		if err := rmdir(g.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove resctrl group: %w", err)
	}
	return nil
}

// schemata are the lines to write: linux.intelRdt.schemata when given
// (runtime-spec: it overrides the two schema fields), else the L3 and MB
// schemas.
func schemata(c *specs.LinuxIntelRdt) []string {
	if len(c.Schemata) > 0 {
		return c.Schemata
	}
	var lines []string
	for _, s := range []string{c.L3CacheSchema, c.MemBwSchema} {
		if s = strings.TrimSpace(s); s != "" {
			lines = append(lines, s)
		}
	}
	return lines
}

func (g *Group) writeSchemata(lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	// One write: the kernel parses the whole buffer, line by line, and
	// rejects it as a whole (info/last_cmd_status says why).
	if err := writeFile(filepath.Join(g.Path, "schemata"), strings.Join(lines, "\n")+"\n"); err != nil {
		return fmt.Errorf("linux.intelRdt: write schemata %q: %w", strings.Join(lines, `\n`), err)
	}
	return nil
}

// writeFile writes data in one write(2). O_CREAT only matters to a fake
// tree: resctrl makes a group's files itself and refuses new ones.
func writeFile(path, data string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte(data)); err != nil {
		return &os.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}
