package capabilities

import (
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Caps holds the parsed capability sets of one process, restricted to the
// capabilities the running kernel supports. Make it with [Parse]: it
// records the kernel's last capability, which ApplyBounding needs.
type Caps struct {
	Bounding    []capability.Cap
	Effective   []capability.Cap
	Inheritable []capability.Cap
	Permitted   []capability.Cap
	Ambient     []capability.Cap
	// Ignored lists the valid names that the running kernel does not
	// support; they were left out of the sets above.
	Ignored []string
	// Ungrantable lists the capabilities Parse left out because the
	// calling thread does not have them to give (grantable_linux.go).
	Ungrantable []string
	// last is the highest capability of the running kernel.
	last capability.Cap
}

// NameError reports a capability name that no kernel knows.
type NameError struct {
	// Set is the OCI field name of the set: bounding, effective,
	// inheritable, permitted or ambient.
	Set string
	// Name is the offending entry as written in the config.
	Name string
}

// Error names the set and the capability, e.g.
// `bounding: unknown capability "CAP_FOO"`.
func (e *NameError) Error() string {
	return fmt.Sprintf("%s: unknown capability %q", e.Set, e.Name)
}

// byName maps "CAP_CHOWN" style names to their numbers. It is built from
// the capability list of moby/sys/capability, which knows every capability
// up to its release, independently of the running kernel.
var byName = func() map[string]capability.Cap {
	m := make(map[string]capability.Cap)
	for _, c := range capability.ListKnown() {
		m["CAP_"+strings.ToUpper(c.String())] = c
	}
	return m
}()

// Lookup returns the capability called name ("CAP_NET_ADMIN"). Names are
// case sensitive and need the CAP_ prefix, as runtime-spec writes them.
func Lookup(name string) (capability.Cap, bool) {
	c, ok := byName[name]
	return c, ok
}

// Name returns the runtime-spec name ("CAP_NET_ADMIN") of c.
func Name(c capability.Cap) string {
	return "CAP_" + strings.ToUpper(c.String())
}

// sets returns the five OCI sets with their JSON field names, in the
// order they appear in runtime-spec.
func sets(c *specs.LinuxCapabilities) []struct {
	name  string
	names []string
} {
	return []struct {
		name  string
		names []string
	}{
		{"bounding", c.Bounding},
		{"effective", c.Effective},
		{"inheritable", c.Inheritable},
		{"permitted", c.Permitted},
		{"ambient", c.Ambient},
	}
}

// Check verifies that every name in every set is a known capability. It
// returns a *NameError for the first unknown name. A nil c is valid.
func Check(c *specs.LinuxCapabilities) error {
	if c == nil {
		return nil
	}
	for _, s := range sets(c) {
		for _, n := range s.names {
			if _, ok := byName[n]; !ok {
				return &NameError{Set: s.name, Name: n}
			}
		}
	}
	return nil
}

// Parse converts the names in c for the running kernel. Names no kernel
// knows (a spec written for a newer kernel) and valid names the running
// kernel does not support are dropped, recorded in Caps.Ignored and logged
// as a warning on log (which may be nil), as runc 1.1.5+ does; and so
// are capabilities the calling thread (the container init, still uid 0)
// cannot grant, recorded in Caps.Ungrantable: runtime-spec asks runtimes
// not to fail for those. A nil c yields empty sets: the process ends up
// with no capabilities at all.
func Parse(c *specs.LinuxCapabilities, log *slog.Logger) (*Caps, error) {
	last, err := capability.LastCap()
	if err != nil {
		return nil, fmt.Errorf("read the kernel's last capability: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	caps, err := parse(c, last, log)
	if err != nil {
		return nil, err
	}
	if err := caps.restrictToGrantable(log); err != nil {
		return nil, err
	}
	return caps, nil
}

// parse is Parse with the kernel's last capability given, so tests can
// pretend to run on an older kernel.
func parse(c *specs.LinuxCapabilities, last capability.Cap, log *slog.Logger) (*Caps, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := &Caps{last: last}
	if c == nil {
		return out, nil
	}
	ignored := map[string]bool{}
	conv := func(names []string) []capability.Cap {
		var res []capability.Cap
		for _, n := range names {
			cp, known := byName[n]
			if !known || cp > last {
				ignored[n] = true
				continue
			}
			res = append(res, cp)
		}
		return res
	}
	out.Bounding = conv(c.Bounding)
	out.Effective = conv(c.Effective)
	out.Inheritable = conv(c.Inheritable)
	out.Permitted = conv(c.Permitted)
	out.Ambient = conv(c.Ambient)
	for n := range ignored {
		out.Ignored = append(out.Ignored, n)
	}
	slices.Sort(out.Ignored)
	if len(out.Ignored) > 0 {
		log.Warn("ignoring unknown capabilities or ones the running kernel does not support",
			slog.Any("capabilities", out.Ignored), slog.String("lastCap", Name(last)))
	}
	return out, nil
}

// Mask returns the set as a bit mask, the form /proc/<pid>/status shows.
func Mask(set []capability.Cap) uint64 {
	var m uint64
	for _, c := range set {
		m |= 1 << uint(c)
	}
	return m
}

// Names lists every capability name Parse accepts, sorted.
func Names() []string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
