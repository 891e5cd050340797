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
	// Planned is the sum of the N of every "1..N" plan line, or -1 when
	// there was none. Some programs print two TAP streams (the cgroup
	// ones append an empty "TAP version 13 / 1..0" after their own).
	Planned int
	// Passed counts "ok" lines, Skipped the "ok ... # SKIP" ones among
	// them, and Failed the "not ok" lines that are not marked TODO.
	Passed, Skipped, Failed int
	// Todo counts "not ok ... # TODO" lines: known failures, by TAP rules
	// not a failure of the stream.
	Todo int
	// Orphans counts YAML diagnostics that carry an "error" key but sit
	// next to no result line. runtime-tools' lifecycle programs (hooks,
	// prestart, poststop_fail, ...) report a failed check only that way,
	// with a "1..0" plan, so these count as failures.
	Orphans int
	// Failures holds the "not ok" lines and orphan errors, in order.
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
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "  ---" {
			end := i + 1
			for end < len(lines) && lines[end] != "  ..." {
				end++
			}
			if errLine := yamlError(lines[i+1 : min(end, len(lines))]); errLine != "" &&
				!isResult(prevTopLevel(lines, i)) && !isResult(nextTopLevel(lines, end+1)) {
				r.Orphans++
				r.Failed++
				r.Failures = append(r.Failures, "diagnostic without result: "+errLine)
			}
			i = end
			continue
		}
		if m := planRE.FindStringSubmatch(line); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil {
				r.Planned = max(r.Planned, 0) + n
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

// yamlError returns the first line of an "error" entry in a diagnostic
// block (runtime-tools writes them as indented JSON), or "".
func yamlError(block []string) string {
	for _, l := range block {
		t := strings.TrimSpace(l)
		for _, key := range []string{`"error": `, "error: "} {
			if v, ok := strings.CutPrefix(t, key); ok {
				v = strings.TrimSuffix(strings.Trim(strings.TrimSuffix(v, ","), `"`), `"`)
				first, _, _ := strings.Cut(v, `\n`)
				return first
			}
		}
	}
	return ""
}

func isResult(line string) bool { return resultRE.MatchString(line) }

// prevTopLevel and nextTopLevel find the nearest line around a YAML block
// that is neither blank nor indented.
func prevTopLevel(lines []string, i int) string {
	for i--; i >= 0; i-- {
		if l := lines[i]; l != "" && l[0] != ' ' {
			return l
		}
	}
	return ""
}

func nextTopLevel(lines []string, i int) string {
	for ; i < len(lines); i++ {
		if l := lines[i]; l != "" && l[0] != ' ' {
			return l
		}
	}
	return ""
}

// Err says why the stream is a failure, or returns nil when it is a pass:
// a "not ok" line, no result at all, or fewer or more results than planned.
func (r TAPResult) Err() error {
	total := r.Passed + r.Failed - r.Orphans + r.Todo
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
