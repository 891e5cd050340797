package libcgroups

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ErrNotDelegated means the container has no cgroup of its own because
// the rootless caller may not write the cgroup tree (Config.Rootless):
// limits, pause, stats and ps need one.
var ErrNotDelegated = errors.New("cgroup not delegated to this user")

// Rootless mode (Config.Rootless), as runc's rootless cgroup manager: an
// unprivileged runtime, or root in a user namespace, uses the cgroup tree
// only where it is delegated, i.e. where the user may create the
// container's directories and move processes into them. Elsewhere the
// container stays in the caller's cgroup; asking for limits is then an
// error (runc: "cannot set pids limit: container could not join or create
// cgroup"), anything else is one warning at create. Device rules are not
// applied unless the caller is the host's root: the devices controller (v1 devices.allow, v2
// BPF_PROG_TYPE_CGROUP_DEVICE) needs CAP_SYS_ADMIN in the initial user
// namespace, and the kernel already refuses the container's root any device
// it does not own (no mknod in a user namespace).

// newRootless wraps m, freshly made by New for cfg.
func newRootless(cfg Config, m Manager) Manager {
	if dir, ok := delegated(m.Paths(), unix.Access); !ok {
		return &noCgroup{dir: dir, log: cfg.Logger}
	}
	return &delegatedManager{Manager: m, noDevices: notHostRoot()}
}

// notHostRoot: a non-zero euid, or uid 0 in a user namespace (any
// /proc/self/uid_map but the identity map "0 0 4294967295"), which the
// kernel refuses device rules. The host's root with --rootless=true keeps
// them.
func notHostRoot() bool {
	if os.Geteuid() != 0 {
		return true
	}
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return !(len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295")
}

// loadRootless is newRootless for Load: a rootless container created
// without a cgroup recorded no paths.
func loadRootless(paths map[string]string) (Manager, bool) {
	if len(paths) == 0 {
		return &noCgroup{}, true
	}
	return nil, false
}

// delegated reports whether every directory in paths can be created (or
// exists) and joined by the caller: the nearest existing ancestor of each
// is writable, and an existing directory's cgroup.procs too. dir is the
// first one that is not. access is unix.Access (faccessat with the real
// ids, which are the caller's: the runtime is never setuid).
func delegated(paths map[string]string, access func(string, uint32) error) (dir string, ok bool) {
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := paths[k]
		if _, err := os.Stat(p); err == nil {
			procs := filepath.Join(p, "cgroup.procs")
			if access(procs, unix.W_OK) != nil {
				return procs, false
			}
			continue
		}
		for d := filepath.Dir(p); ; d = filepath.Dir(d) {
			if _, err := os.Stat(d); err == nil {
				if access(d, unix.W_OK) != nil {
					return d, false
				}
				break
			}
			if d == "/" || d == "." {
				return p, false
			}
		}
	}
	return "", true
}

// requested lists the linux.resources groups (other than devices) that ask
// for something; an empty object ("memory": {}) asks for nothing.
func requested(r *specs.LinuxResources) []string {
	if r == nil {
		return nil
	}
	c := *r
	c.Devices = nil
	raw, err := json.Marshal(&c)
	if err != nil {
		return []string{"resources"}
	}
	var groups map[string]json.RawMessage
	if err := json.Unmarshal(raw, &groups); err != nil {
		return []string{"resources"}
	}
	var out []string
	for k, v := range groups {
		switch strings.TrimSpace(string(v)) {
		case "null", "{}", "[]", "":
			continue
		}
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// delegatedManager is a real manager on a delegated tree, minus device
// rules when the caller is not the host's root.
type delegatedManager struct {
	Manager
	noDevices bool
}

func (d *delegatedManager) Set(r *specs.LinuxResources) error {
	if !d.noDevices || r == nil || len(r.Devices) == 0 {
		return d.Manager.Set(r)
	}
	c := *r
	c.Devices = nil
	return d.Manager.Set(&c)
}

// noCgroup is the manager of a rootless container without a cgroup: the
// container shares the caller's cgroup, which it must not touch.
type noCgroup struct {
	// dir is the first directory found not writable, for messages ("" on
	// a manager loaded from state).
	dir string
	// log gets the one warning of a create (nil on a loaded manager).
	log *slog.Logger
}

func (n *noCgroup) err(what string) error {
	if n.dir != "" {
		return fmt.Errorf("%s: %w (%s is not writable)", what, ErrNotDelegated, n.dir)
	}
	return fmt.Errorf("%s: %w (the container was created without a cgroup)", what, ErrNotDelegated)
}

func (n *noCgroup) Apply(int) error   { return nil }
func (n *noCgroup) AddTask(int) error { return nil }

// Set refuses limits, like runc. Otherwise, on a create, it warns once:
// here rather than in New, so a create that fails on limits prints its
// error alone.
func (n *noCgroup) Set(r *specs.LinuxResources) error {
	if g := requested(r); len(g) > 0 {
		return n.err(fmt.Sprintf("cannot set linux.resources.%s limits: the container could not join or create a cgroup", strings.Join(g, ", ")))
	}
	if n.log != nil {
		n.log.Warn("cgroups are not delegated to this user: the container runs in the caller's cgroup, without resource limits, pause or stats",
			slog.String("not_writable", n.dir))
		n.log = nil
	}
	return nil
}

func (n *noCgroup) Freeze(FreezerState) error           { return n.err("freeze") }
func (n *noCgroup) FreezerState() (FreezerState, error) { return Undefined, nil }
func (n *noCgroup) Pids() ([]int, error)                { return nil, n.err("list processes") }
func (n *noCgroup) AllPids() ([]int, error)             { return nil, n.err("list processes") }
func (n *noCgroup) Destroy() error                      { return nil }
func (n *noCgroup) Paths() map[string]string            { return map[string]string{} }
func (n *noCgroup) Exists() bool                        { return false }
func (n *noCgroup) OOMKillCount() (uint64, error)       { return 0, n.err("oom kill count") }
func (n *noCgroup) Stats() (*Stats, error)              { return nil, n.err("stats") }

// Kill has nothing to signal beyond the init, which the caller signals
// itself: without a cgroup the container's processes cannot be found
// race-free. With a PID namespace (rootless specs always have one),
// SIGKILL of the init ends every process in it.
func (n *noCgroup) Kill(unix.Signal) error { return nil }
