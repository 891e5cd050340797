package fs

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The v1 devices controller (Documentation/admin-guide/cgroup-v1/devices.rst)
// keeps a default behaviour (allow or deny) and a list of exceptions keyed by
// type, major and minor, each with an access mask. Writing "a" to
// devices.allow/deny sets the default and clears the list; writing a rule
// against the default adds (or widens) an exception; writing a rule in the
// direction of the default removes access from the exception with exactly
// the same key, and from no other: a rule can neither remove a more specific
// exception nor punch a hole in a wildcard one. OCI rules instead mean "in
// order, the last matching rule wins". planDevices turns the OCI list into
// writes that give the OCI meaning, the way runc's devices emulator does,
// and refuses the lists the kernel cannot express.

type devAccess uint8

const (
	accRead devAccess = 1 << iota
	accWrite
	accMknod
	accAll = accRead | accWrite | accMknod
)

func (a devAccess) String() string {
	var b strings.Builder
	for _, x := range []struct {
		bit devAccess
		c   byte
	}{{accRead, 'r'}, {accWrite, 'w'}, {accMknod, 'm'}} {
		if a&x.bit != 0 {
			b.WriteByte(x.c)
		}
	}
	return b.String()
}

func parseAccess(s string) (devAccess, error) {
	var a devAccess
	for _, c := range s {
		var bit devAccess
		switch c {
		case 'r':
			bit = accRead
		case 'w':
			bit = accWrite
		case 'm':
			bit = accMknod
		default:
			return 0, fmt.Errorf("%q: unknown access %q (want a combination of r, w, m)", s, c)
		}
		// A repeated letter is no error: runc and the kernel's own
		// devices.allow parser accept "rr" and "mrw" alike.
		a |= bit
	}
	return a, nil
}

// devRule is one device rule or exception. major/minor -1 is "*".
type devRule struct {
	typ          byte // 'a', 'b' or 'c'
	major, minor int64
	access       devAccess
}

func (r devRule) key() devRule { r.access = 0; return r }

func num(n int64) string {
	if n < 0 {
		return "*"
	}
	return strconv.FormatInt(n, 10)
}

// String is the kernel's format, as written to devices.allow/deny and
// shown by devices.list: "c 1:3 rwm", "b *:* m", "a *:* rwm".
func (r devRule) String() string {
	return fmt.Sprintf("%c %s:%s %s", r.typ, num(r.major), num(r.minor), r.access)
}

// covers reports whether every device r names is also named by o.
func (o devRule) covers(r devRule) bool {
	return o.typ == r.typ && (o.major == -1 || o.major == r.major) && (o.minor == -1 || o.minor == r.minor)
}

// intersects reports whether some device is named by both o and r.
func (o devRule) intersects(r devRule) bool {
	return o.typ == r.typ && (o.major == -1 || r.major == -1 || o.major == r.major) &&
		(o.minor == -1 || r.minor == -1 || o.minor == r.minor)
}

// devState is a devices cgroup as the kernel keeps it.
type devState struct {
	allow bool      // default behaviour
	ex    []devRule // exceptions to it, in the order the kernel lists them
}

type devWrite struct{ file, line string }

type devPlan struct {
	writes []devWrite
	final  devState
}

// ociDevRule converts and checks OCI rule i.
func ociDevRule(i int, d specs.LinuxDeviceCgroup) (devRule, error) {
	field := fmt.Sprintf("linux.resources.devices[%d]", i)
	r := devRule{major: -1, minor: -1}
	switch d.Type {
	case "", "a":
		r.typ = 'a'
	case "b", "c":
		r.typ = d.Type[0]
	default:
		return r, invalid(field+".type", "%q: want a, b or c", d.Type)
	}
	for _, x := range []struct {
		name string
		p    *int64
		dst  *int64
	}{{"major", d.Major, &r.major}, {"minor", d.Minor, &r.minor}} {
		if x.p == nil {
			continue
		}
		if *x.p < -1 {
			return r, invalid(field+"."+x.name, "%d: want a number >= 0 (or -1 or unset for any)", *x.p)
		}
		*x.dst = *x.p
	}
	r.access = accAll // runtime-spec: unset access means rwm
	if d.Access != "" {
		a, err := parseAccess(d.Access)
		if err != nil {
			return r, invalid(field+".access", "%v", err)
		}
		r.access = a
	}
	if r.typ == 'a' {
		r.major, r.minor, r.access = -1, -1, accAll
	}
	return r, nil
}

// planDevices computes the writes for an OCI device rule list: reset to
// deny-all ("a" to devices.deny), then each rule in order, plus the extra
// removals that make a later general rule override earlier specific ones.
func planDevices(rules []specs.LinuxDeviceCgroup) (devPlan, error) {
	p := devPlan{writes: []devWrite{{"devices.deny", "a"}}}
	st := &p.final
	for i, d := range rules {
		r, err := ociDevRule(i, d)
		if err != nil {
			return p, err
		}
		file := "devices.deny"
		if d.Allow {
			file = "devices.allow"
		}
		if r.typ == 'a' {
			st.allow, st.ex = d.Allow, nil
			p.writes = append(p.writes, devWrite{file, r.String()})
			continue
		}
		if d.Allow != st.allow {
			st.add(r)
			p.writes = append(p.writes, devWrite{file, r.String()})
			continue
		}
		// The rule goes the default's way: it must take access away from
		// every exception it matches.
		var keep []devRule
		for _, e := range st.ex {
			overlap := e.access & r.access
			switch {
			case overlap == 0 || !e.intersects(r):
				keep = append(keep, e)
				continue
			case e.key() == r.key():
				// the rule's own write removes it
			case r.covers(e):
				// r is wider: the kernel would leave the narrower
				// exception alone, so remove it explicitly.
				p.writes = append(p.writes, devWrite{file, devRule{e.typ, e.major, e.minor, overlap}.String()})
			default:
				return p, invalid(fmt.Sprintf("linux.resources.devices[%d]", i),
					"%s %s cannot be applied on cgroup v1 after %s %s: the kernel cannot punch a hole in a wildcard rule",
					verb(d.Allow), r, verb(!d.Allow), e)
			}
			if e.access &^= overlap; e.access != 0 {
				keep = append(keep, e)
			}
		}
		st.ex = keep
		p.writes = append(p.writes, devWrite{file, r.String()})
	}
	return p, nil
}

func verb(allow bool) string {
	if allow {
		return "allow"
	}
	return "deny"
}

// add widens the exception with r's key, or appends r.
func (s *devState) add(r devRule) {
	for i := range s.ex {
		if s.ex[i].key() == r.key() {
			s.ex[i].access |= r.access
			return
		}
	}
	s.ex = append(s.ex, r)
}

// equal reports whether s and o hold the same default and exceptions
// (exception order does not matter to the kernel's checks).
func (s devState) equal(o devState) bool {
	if s.allow != o.allow || len(s.ex) != len(o.ex) {
		return false
	}
	for _, e := range s.ex {
		found := false
		for _, f := range o.ex {
			if e == f {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// parseDevicesList parses devices.list. In allow mode the kernel shows only
// "a *:* rwm" (its deny exceptions are not listed, so known reports false);
// in deny mode it lists the allowed exceptions, one per line.
func parseDevicesList(s string) (st devState, known bool, err error) {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 || len(f[0]) != 1 {
			return devState{}, false, fmt.Errorf("devices.list line %q: want \"type major:minor access\"", line)
		}
		r := devRule{typ: f[0][0]}
		maj, min, ok := strings.Cut(f[1], ":")
		if !ok {
			return devState{}, false, fmt.Errorf("devices.list line %q: no major:minor", line)
		}
		if r.major, err = parseListNum(maj); err == nil {
			r.minor, err = parseListNum(min)
		}
		if err == nil {
			r.access, err = parseAccess(f[2])
		}
		if err != nil {
			return devState{}, false, fmt.Errorf("devices.list line %q: %w", line, err)
		}
		switch r.typ {
		case 'a':
			return devState{allow: true}, false, nil
		case 'b', 'c':
			st.add(r)
		default:
			return devState{}, false, fmt.Errorf("devices.list line %q: unknown type", line)
		}
	}
	return st, true, nil
}

func parseListNum(s string) (int64, error) {
	if s == "*" {
		return -1, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("device number %q: %w", s, err)
	}
	return int64(n), nil
}
