package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/libcontainer/internal/capabilities"
)

// ErrPaused: exec into a paused container without WithIgnorePaused.
var ErrPaused error = &classed{"container is paused", ErrWrongState}

// AsTenant turns the builder into one for a new process in the existing,
// running (or created) container (the exec command). The process is the
// container's own process section, as recorded at create, with the
// builder's changes applied, or the whole process of WithProcessFile.
func (b *ContainerBuilder) AsTenant() *TenantContainerBuilder {
	return &TenantContainerBuilder{base: b}
}

// TenantContainerBuilder starts a process in an existing container.
type TenantContainerBuilder struct {
	base           *ContainerBuilder
	processFile    string
	args           []string
	env            []string
	cwd            string
	uid, gid       *uint32
	additionalGids []uint32
	caps           []string
	noNewPrivs     *bool
	apparmor       string
	processLabel   string
	terminal       bool
	ignorePaused   bool
	subCgroups     map[string]string
}

// WithProcessFile takes the whole process from a process.json file
// (runtime-spec's process object). As with runc, the process-changing
// options (args, env, cwd, user, groups, capabilities, no_new_privs,
// AppArmor, label) are then ignored.
func (tb *TenantContainerBuilder) WithProcessFile(path string) *TenantContainerBuilder {
	tb.processFile = path
	return tb
}

// WithArgs sets the command and its arguments.
func (tb *TenantContainerBuilder) WithArgs(args ...string) *TenantContainerBuilder {
	tb.args = args
	return tb
}

// WithEnv adds KEY=value entries; a key the container's environment has
// already is overridden (see mergeEnv).
func (tb *TenantContainerBuilder) WithEnv(env ...string) *TenantContainerBuilder {
	tb.env = env
	return tb
}

// WithCwd sets the working directory (absolute, inside the container).
func (tb *TenantContainerBuilder) WithCwd(cwd string) *TenantContainerBuilder {
	tb.cwd = cwd
	return tb
}

// WithUser sets the uid and, unless gid is nil, the gid.
func (tb *TenantContainerBuilder) WithUser(uid uint32, gid *uint32) *TenantContainerBuilder {
	tb.uid, tb.gid = &uid, gid
	return tb
}

// WithAdditionalGids adds supplementary groups to the process's.
func (tb *TenantContainerBuilder) WithAdditionalGids(gids ...uint32) *TenantContainerBuilder {
	tb.additionalGids = gids
	return tb
}

// WithCapabilities adds capabilities ("CAP_NET_ADMIN") to the bounding,
// effective and permitted sets, and to the ambient set when the process
// has them inheritable already. Never to the inheritable set: an exec'd
// process must not pass capabilities on through execve of a file with
// inheritable file capabilities (CVE-2022-29162).
func (tb *TenantContainerBuilder) WithCapabilities(caps ...string) *TenantContainerBuilder {
	tb.caps = caps
	return tb
}

// WithNoNewPrivileges overrides process.noNewPrivileges.
func (tb *TenantContainerBuilder) WithNoNewPrivileges(v bool) *TenantContainerBuilder {
	tb.noNewPrivs = &v
	return tb
}

// WithAppArmorProfile overrides process.apparmorProfile.
func (tb *TenantContainerBuilder) WithAppArmorProfile(p string) *TenantContainerBuilder {
	tb.apparmor = p
	return tb
}

// WithProcessLabel overrides process.selinuxLabel.
func (tb *TenantContainerBuilder) WithProcessLabel(l string) *TenantContainerBuilder {
	tb.processLabel = l
	return tb
}

// WithTerminal asks for a pseudo-terminal (exec --tty).
func (tb *TenantContainerBuilder) WithTerminal(v bool) *TenantContainerBuilder {
	tb.terminal = v
	return tb
}

// WithIgnorePaused allows exec into a paused container; the process then
// stays frozen with the rest of the container until it is resumed.
func (tb *TenantContainerBuilder) WithIgnorePaused(v bool) *TenantContainerBuilder {
	tb.ignorePaused = v
	return tb
}

// WithSubCgroups puts the process into existing sub-cgroups of the
// container's cgroup: controller name to path relative to the container's
// cgroup in that controller's hierarchy, and "" for the cgroup v2 one (the
// unified hierarchy on a hybrid host), as ocicli.ParseSubCgroupPaths
// returns them.
func (tb *TenantContainerBuilder) WithSubCgroups(paths map[string]string) *TenantContainerBuilder {
	tb.subCgroups = paths
	return tb
}

// process is the process to start: the process.json, or the recorded
// process section of the container with the builder's changes, in runc's
// way (exec.go getProcess).
func (tb *TenantContainerBuilder) process(recorded json.RawMessage) (*specs.Process, error) {
	var p specs.Process
	if tb.processFile != "" {
		raw, err := os.ReadFile(tb.processFile)
		if err != nil {
			return nil, fmt.Errorf("--process: %w", err)
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("--process %s: %w", tb.processFile, err)
		}
		env, err := mergeEnv(p.Env, nil)
		if err != nil {
			return nil, fmt.Errorf("--process %s: process.env: %w", tb.processFile, err)
		}
		p.Env = env
		return &p, nil
	}
	if len(recorded) == 0 {
		return nil, errors.New("the container has no recorded process section to exec with: use --process")
	}
	if err := json.Unmarshal(recorded, &p); err != nil {
		return nil, fmt.Errorf("recorded process section: %w", err)
	}
	if len(tb.args) == 0 {
		return nil, errors.New("exec: no command given")
	}
	p.Args = tb.args
	p.Terminal = tb.terminal
	// Only the container's init applies these: an exec'd process keeps
	// the runtime's OOM score, and the console size belongs to a terminal
	// of its own.
	p.OOMScoreAdj, p.ConsoleSize = nil, nil
	env, err := mergeEnv(p.Env, tb.env)
	if err != nil {
		return nil, fmt.Errorf("--env: %w", err)
	}
	p.Env = env
	if tb.cwd != "" {
		if !strings.HasPrefix(tb.cwd, "/") {
			return nil, fmt.Errorf("--cwd %q: must be an absolute path", tb.cwd)
		}
		p.Cwd = tb.cwd
	}
	// (uid_t)-1 means "unchanged" to set*id(2).
	if (tb.uid != nil && *tb.uid == math.MaxUint32) || (tb.gid != nil && *tb.gid == math.MaxUint32) {
		return nil, errors.New("--user: 4294967295 is not a valid id")
	}
	applyUser(&p.User, tb.uid, tb.gid, tb.additionalGids)
	if p.Capabilities, err = addCapabilities(p.Capabilities, tb.caps); err != nil {
		return nil, err
	}
	if tb.noNewPrivs != nil {
		p.NoNewPrivileges = *tb.noNewPrivs
	}
	if tb.apparmor != "" {
		p.ApparmorProfile = tb.apparmor
	}
	if tb.processLabel != "" {
		p.SelinuxLabel = tb.processLabel
	}
	return &p, nil
}

// mergeEnv appends extra to base and removes duplicate keys, keeping the
// last value of each at the place of its last occurrence: runc's
// prepareEnv (libcontainer/env.go), so `exec -e K=v` overrides the
// container's K. Every entry must be KEY=value with a non-empty key and no
// NUL byte.
func mergeEnv(base, extra []string) ([]string, error) {
	all := make([]string, 0, len(base)+len(extra))
	all = append(append(all, base...), extra...)
	if len(all) == 0 {
		return all, nil
	}
	seen := make(map[string]bool, len(all))
	out := make([]string, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		kv := all[i]
		k, _, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("%q is not in KEY=value form", kv)
		case k == "":
			return nil, fmt.Errorf("%q has an empty name", kv)
		case strings.IndexByte(kv, 0) >= 0:
			return nil, fmt.Errorf("%q contains a NUL byte", k)
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, kv)
	}
	slices.Reverse(out)
	return out, nil
}

// applyUser sets the uid and (when given) the gid, and adds the
// supplementary groups to the process's own, as runc's exec --user and
// --additional-gids do.
func applyUser(u *specs.User, uid, gid *uint32, gids []uint32) {
	if uid != nil {
		u.UID = *uid
	}
	if gid != nil {
		u.GID = *gid
	}
	for _, g := range gids {
		if !slices.Contains(u.AdditionalGids, g) {
			u.AdditionalGids = append(u.AdditionalGids, g)
		}
	}
}

// addCapabilities adds each of add to the bounding, effective and
// permitted sets of c (a nil c starts empty), and to the ambient set only
// where the capability is inheritable already (raising an ambient
// capability needs it; runc adds it whenever the inheritable set is not
// nil and lets the kernel refuse). The inheritable set itself is never
// touched (CVE-2022-29162). An unknown name is an error naming it (runc
// only warns and drops it).
func addCapabilities(c *specs.LinuxCapabilities, add []string) (*specs.LinuxCapabilities, error) {
	if len(add) == 0 {
		return c, nil
	}
	for _, name := range add {
		if _, ok := capabilities.Lookup(name); !ok {
			return nil, fmt.Errorf("--cap %q: unknown capability", name)
		}
	}
	if c == nil {
		c = &specs.LinuxCapabilities{}
	}
	out := *c
	// Copies: the slices may share backing arrays with the decoded input.
	out.Bounding = slices.Clone(c.Bounding)
	out.Effective = slices.Clone(c.Effective)
	out.Permitted = slices.Clone(c.Permitted)
	out.Ambient = slices.Clone(c.Ambient)
	addTo := func(set []string, name string) []string {
		if slices.Contains(set, name) {
			return set
		}
		return append(set, name)
	}
	for _, name := range add {
		out.Bounding = addTo(out.Bounding, name)
		out.Effective = addTo(out.Effective, name)
		out.Permitted = addTo(out.Permitted, name)
		if slices.Contains(c.Inheritable, name) {
			out.Ambient = addTo(out.Ambient, name)
		}
	}
	return &out, nil
}
