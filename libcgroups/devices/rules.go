// Package devices turns OCI device cgroup rules (linux.resources.devices)
// into the cgroup v2 device controller: a BPF_PROG_TYPE_CGROUP_DEVICE
// program encoded here and loaded and attached to a cgroup2 directory with
// raw bpf(2) calls. (cilium/ebpf would make every start of the runtime
// binary over a millisecond slower; the tests use it as the oracle.)
//
// Rules have runc's semantics, which are the cgroup v1 devices controller's
// (Documentation/admin-guide/cgroup-v1/devices.rst), so a config behaves the
// same on both hierarchies:
//   - the cgroup starts denying every device;
//   - rules apply in order and a later rule overrides an earlier one;
//   - a type "a" rule (or an empty type) resets everything: allow-all or
//     deny-all, whatever its major, minor and access say;
//   - other rules add or remove exceptions to the current default, access
//     by access ("allow c 1:3 r" then "allow c 1:3 w" grants rw; "deny c 1:3
//     w" afterwards leaves r);
//   - a deny that would punch a hole in a wildcard allow (or an allow in a
//     wildcard deny) is refused, as runc refuses it: cgroup v1 cannot express
//     it and silently ignores it, which would give a false sense of security.
package devices

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Access is a set of device accesses. The bit values are the kernel's
// BPF_DEVCG_ACC_* (include/uapi/linux/bpf.h), used as-is in the program.
type Access uint8

// Accesses.
const (
	Mknod Access = 1 << iota // BPF_DEVCG_ACC_MKNOD
	Read                     // BPF_DEVCG_ACC_READ
	Write                    // BPF_DEVCG_ACC_WRITE

	// All is "rwm".
	All = Read | Write | Mknod
)

func (a Access) String() string {
	var b strings.Builder
	for _, x := range []struct {
		bit Access
		c   byte
	}{{Read, 'r'}, {Write, 'w'}, {Mknod, 'm'}} {
		if a&x.bit != 0 {
			b.WriteByte(x.c)
		}
	}
	return b.String()
}

// ParseAccess parses an OCI access string, a combination of r, w and m.
// The empty string is no access (runc treats it the same way).
func ParseAccess(s string) (Access, error) {
	var a Access
	for _, c := range s {
		switch c {
		case 'r':
			a |= Read
		case 'w':
			a |= Write
		case 'm':
			a |= Mknod
		default:
			return 0, fmt.Errorf("invalid access %q (want a combination of r, w and m)", s)
		}
	}
	return a, nil
}

// Wildcard is a major or minor number that matches any.
const Wildcard int64 = -1

// Type is a device type: 'b' (block) or 'c' (char).
type Type byte

// Device types.
const (
	Block Type = 'b'
	Char  Type = 'c'
)

// Rule is an exception to a Filter's default: a device type, major and
// minor (Wildcard for any) and the accesses it covers.
type Rule struct {
	Type   Type
	Major  int64
	Minor  int64
	Access Access
}

func (r Rule) String() string {
	num := func(n int64) string {
		if n == Wildcard {
			return "*"
		}
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%c %s:%s %s", r.Type, num(r.Major), num(r.Minor), r.Access)
}

func (r Rule) matches(t Type, major, minor uint32) bool {
	return r.Type == t && (r.Major == Wildcard || r.Major == int64(major)) && (r.Minor == Wildcard || r.Minor == int64(minor))
}

// Filter is a normalized rule set: a default and exceptions to it. With
// DefaultAllow false (the usual container case) the exceptions are the
// allowed devices; with DefaultAllow true they are the denied ones.
type Filter struct {
	DefaultAllow bool
	Exceptions   []Rule
}

// AllowsAll reports whether the filter lets every access through.
func (f *Filter) AllowsAll() bool { return f.DefaultAllow && len(f.Exceptions) == 0 }

// Allows evaluates the filter as the kernel's cgroup v1 devices controller
// does (security/device_cgroup.c): with a default deny, one exception must
// cover every requested access (match_exception); with a default allow,
// an exception overlapping any requested access denies
// (match_exception_partial). The generated program implements exactly this.
func (f *Filter) Allows(t Type, major, minor uint32, acc Access) bool {
	for _, r := range f.Exceptions {
		if !r.matches(t, major, minor) {
			continue
		}
		if f.DefaultAllow && r.Access&acc != 0 {
			return false
		}
		if !f.DefaultAllow && acc&^r.Access == 0 {
			return true
		}
	}
	return f.DefaultAllow
}

type key struct {
	t            Type
	major, minor int64
}

// NewFilter normalizes OCI rules (see the package doc). Errors name the
// offending rule: "linux.resources.devices[2].type: ...".
func NewFilter(rules []specs.LinuxDeviceCgroup) (*Filter, error) {
	defaultAllow := false
	exc := map[key]Access{}
	for i, r := range rules {
		field := fmt.Sprintf("linux.resources.devices[%d]", i)
		acc, err := ParseAccess(r.Access)
		if err != nil {
			return nil, fmt.Errorf("%s.access: %w", field, err)
		}
		major, err := number(r.Major)
		if err != nil {
			return nil, fmt.Errorf("%s.major: %w", field, err)
		}
		minor, err := number(r.Minor)
		if err != nil {
			return nil, fmt.Errorf("%s.minor: %w", field, err)
		}
		var t Type
		switch r.Type {
		case "", "a":
			// cgroup v1 looks only at the type of an "a" rule: it
			// switches the default and drops every exception.
			defaultAllow = r.Allow
			clear(exc)
			continue
		case "b":
			t = Block
		case "c":
			t = Char
		default:
			return nil, fmt.Errorf("%s.type: invalid device cgroup type %q (want a, b or c)", field, r.Type)
		}
		k := key{t, major, minor}
		if r.Allow != defaultAllow {
			// An exception in the direction of the rule: add accesses.
			if acc != 0 {
				exc[k] |= acc
			}
			continue
		}
		// The rule agrees with the default: take accesses away from the
		// exception with exactly this key, refusing to punch a hole in a
		// wildcard exception (runc's emulator, rmRule).
		for _, w := range []key{{t, Wildcard, minor}, {t, major, Wildcard}, {t, Wildcard, Wildcard}} {
			if w == k {
				continue
			}
			if overlap := exc[w] & acc; overlap != 0 {
				return nil, fmt.Errorf("%s: rule %q cannot punch a hole in the earlier wildcard rule %q (not expressible in the devices cgroup)",
					field, Rule{t, major, minor, acc}, Rule{w.t, w.major, w.minor, exc[w]})
			}
		}
		if left := exc[k] &^ acc; left != 0 {
			exc[k] = left
		} else {
			delete(exc, k)
		}
	}
	f := &Filter{DefaultAllow: defaultAllow}
	for k, a := range exc {
		f.Exceptions = append(f.Exceptions, Rule{Type: k.t, Major: k.major, Minor: k.minor, Access: a})
	}
	// A stable order makes the program, and so its tag, deterministic.
	slices.SortFunc(f.Exceptions, func(a, b Rule) int {
		return cmp.Or(cmp.Compare(a.Major, b.Major), cmp.Compare(a.Minor, b.Minor), cmp.Compare(a.Type, b.Type))
	})
	return f, nil
}

// number maps an OCI major/minor to a number or Wildcard (nil or -1).
func number(p *int64) (int64, error) {
	if p == nil || *p == Wildcard {
		return Wildcard, nil
	}
	if *p < 0 || *p > math.MaxUint32 {
		return 0, fmt.Errorf("%d out of range (want -1 for any, or 0 to %d)", *p, uint32(math.MaxUint32))
	}
	return *p, nil
}
