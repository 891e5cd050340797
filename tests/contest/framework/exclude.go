package framework

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// ParseExcludes reads an exclusion list: one "group::test REASON" or
// "group REASON" per line, '#' comments and blank lines ignored. Every
// entry needs a reason, so that the list says why each test is out.
func ParseExcludes(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, reason, _ := strings.Cut(line, " ")
		reason = strings.TrimSpace(reason)
		if reason == "" {
			return nil, fmt.Errorf("line %d: %q has no reason", n, key)
		}
		if g, t, ok := strings.Cut(key, "::"); ok && (g == "" || t == "") || key == "" {
			return nil, fmt.Errorf("line %d: bad entry %q (want group or group::test)", n, key)
		}
		out[key] = reason
	}
	return out, sc.Err()
}
