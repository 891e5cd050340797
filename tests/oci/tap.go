// Package oci runs the runtime-tools v0.9.0 validation programs against an
// OCI runtime and judges their TAP output.
//
// The programs themselves are built from the runtime-tools module into bin/
// by hack/oci-build.sh; this package holds only the TAP judgement and the
// test driver (runtime_tools_test.go).
package oci

import (
	"bufio"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// TAPResult is what a TAP stream said about itself.
type TAPResult struct {
	// Planned is the N of a "1..N" plan line, or -1 when there was none.
	Planned int
	// Passed counts "ok" lines, Skipped the "ok ... # SKIP" ones among
	// them, and Failed the "not ok" lines that are not marked TODO.
	Passed, Skipped, Failed int
	// Todo counts "not ok ... # TODO" lines: known failures, by TAP rules
	// not a failure of the stream.
	Todo int
	// Failures holds the "not ok" lines, in order, for reports.
	Failures []string
}

var (
	planRE   = regexp.MustCompile(`^1\.\.(\d+)`)
	resultRE = regexp.MustCompile(`^(not ok|ok)\b(.*)$`)
)

// ParseTAP reads a TAP stream. Only lines that start in column 0 count:
// runtime-tools indents the inner runtimetest output it embeds in YAML
// diagnostics, and those nested lines belong to a test already counted.
func ParseTAP(out string) TAPResult {
	r := TAPResult{Planned: -1}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if m := planRE.FindStringSubmatch(line); m != nil {
			n, err := strconv.Atoi(m[1])
			if err == nil {
				r.Planned = n
			}
			continue
		}
		m := resultRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		directive := ""
		if i := strings.Index(m[2], "#"); i >= 0 {
			directive = strings.ToUpper(strings.TrimSpace(m[2][i+1:]))
		}
		switch {
		case m[1] == "ok":
			r.Passed++
			if strings.HasPrefix(directive, "SKIP") {
				r.Skipped++
			}
		case strings.HasPrefix(directive, "TODO"):
			r.Todo++
		default:
			r.Failed++
			r.Failures = append(r.Failures, line)
		}
	}
	return r
}

// Err says why the stream is a failure, or returns nil when it is a pass:
// a "not ok" line, no result at all, or fewer or more results than planned.
func (r TAPResult) Err() error {
	total := r.Passed + r.Failed + r.Todo
	switch {
	case r.Failed > 0:
		return fmt.Errorf("%d of %d TAP results not ok, first: %s", r.Failed, total, r.Failures[0])
	case r.Planned >= 0 && total != r.Planned:
		return fmt.Errorf("TAP plan 1..%d but %d results", r.Planned, total)
	case r.Planned < 0 && total == 0:
		return fmt.Errorf("no TAP plan and no TAP results")
	}
	return nil
}
