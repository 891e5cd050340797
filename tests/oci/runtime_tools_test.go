//go:build linux

package oci

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Environment that drives the harness. Only RUNTIME is required; the rest
// have defaults that match the layout hack/oci-build.sh produces.
const (
	envRuntime     = "RUNTIME"      // absolute path of the runtime under test
	envRuntimeName = "RUNTIME_NAME" // label for results (default: base name of RUNTIME)
	envBin         = "OCI_BIN"      // dir with the validation programs, runtimetest and rootfs tarball
	envList        = "OCI_LIST"     // list of programs for TestRuntimeTools
	envTimeout     = "OCI_TIMEOUT"  // per-program timeout, Go duration
	envResults     = "OCI_RESULTS"  // where TAP output and tables are written
	envAll         = "ALL"          // "1" runs TestRuntimeToolsAll
)

// harness holds what every validation program run needs.
type harness struct {
	runtime string
	name    string
	bin     string
	timeout time.Duration
	results string
}

// result is one validation program's outcome.
type result struct {
	Name    string  `json:"name"`
	Status  string  `json:"status"` // pass, fail or timeout
	Reason  string  `json:"reason,omitempty"`
	Seconds float64 `json:"seconds"`
	Planned int     `json:"planned"`
	Passed  int     `json:"passed"`
	Failed  int     `json:"failed"`
	// Failures are all "not ok" lines and orphan error diagnostics;
	// CleanExit is whether the program exited 0 within its timeout.
	Failures  []string `json:"failures,omitempty"`
	CleanExit bool     `json:"-"`
	Output    string   `json:"-"`
	TAPError  error    `json:"-"`
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	rt := os.Getenv(envRuntime)
	if rt == "" {
		t.Skipf("%s is not set: set it to the absolute path of the runtime to validate (see docs/testing.md)", envRuntime)
	}
	if os.Geteuid() != 0 {
		t.Skip("runtime-tools validation creates real containers and needs root")
	}
	require.True(t, filepath.IsAbs(rt), "%s=%q must be an absolute path", envRuntime, rt)
	st, err := os.Stat(rt)
	require.NoError(t, err, "stat runtime %s", rt)
	require.True(t, st.Mode().IsRegular() && st.Mode()&0o111 != 0, "runtime %s is not an executable file", rt)

	h := &harness{
		runtime: rt,
		name:    envOr(envRuntimeName, filepath.Base(rt)),
		timeout: 3 * time.Minute,
	}
	h.bin, err = filepath.Abs(envOr(envBin, "bin"))
	require.NoError(t, err)
	for _, f := range []string{"runtimetest", "rootfs-amd64.tar.gz"} {
		_, err := os.Stat(filepath.Join(h.bin, f))
		require.NoError(t, err, "%s missing from %s: build the suite with hack/oci-build.sh", f, h.bin)
	}
	if v := os.Getenv(envTimeout); v != "" {
		h.timeout, err = time.ParseDuration(v)
		require.NoError(t, err, "parse %s=%q", envTimeout, v)
	}
	h.results, err = filepath.Abs(filepath.Join(envOr(envResults, "results"), h.name))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(h.results, 0o755), "create results dir")
	return h
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// run executes one validation program with its working directory set to
// the bin dir: runtime-tools' util.PrepareBundle untars
// "rootfs-<arch>.tar.gz" and copies "runtimetest" from the current
// directory into each bundle.
func (h *harness) run(name string) (res result) {
	res.Name = name
	start := time.Now()
	defer func() { res.Seconds = time.Since(start).Seconds() }()

	prog := filepath.Join(h.bin, name)
	if _, err := os.Stat(prog); err != nil {
		res.Status, res.Reason = "fail", fmt.Sprintf("program not built: %v", err)
		return res
	}
	// Bundles go to TMPDIR; a private one lets us remove what a timed-out
	// program leaves behind.
	tmp, err := os.MkdirTemp("", "oci-"+name+"-")
	if err != nil {
		res.Status, res.Reason = "fail", fmt.Sprintf("create temp dir: %v", err)
		return res
	}
	defer os.RemoveAll(tmp)
	// MkdirTemp makes 0700; the user-namespace programs need the mapped
	// container root (an unprivileged host uid) to traverse it to the bundle.
	if err := os.Chmod(tmp, 0o711); err != nil {
		res.Status, res.Reason = "fail", fmt.Sprintf("chmod temp dir: %v", err)
		return res
	}

	ctx, cancel := context.WithTimeout(context.Background(), h.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog)
	cmd.Dir = h.bin
	cmd.Env = append(os.Environ(), envRuntime+"="+h.runtime, "TMPDIR="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Own process group, so a timeout kills the program and any container
	// process it left in the group, not just the direct child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A container that inherited the pipes would keep Wait blocked forever.
	cmd.WaitDelay = 10 * time.Second
	runErr := cmd.Run()

	res.Output = stdout.String()
	if stderr.Len() > 0 {
		res.Output += "\n# --- stderr ---\n" + stderr.String()
	}
	tap := ParseTAP(stdout.String())
	res.Planned, res.Passed, res.Failed = tap.Planned, tap.Passed, tap.Failed
	res.Failures = tap.Failures
	res.CleanExit = runErr == nil && ctx.Err() == nil
	res.TAPError = tap.Err()

	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.Status, res.Reason = "timeout", fmt.Sprintf("no exit within %s", h.timeout)
	case tap.Failed > 0:
		res.Status, res.Reason = "fail", tap.Failures[0]
	case runErr != nil:
		res.Status, res.Reason = "fail", fmt.Sprintf("exit: %v: %s", runErr, lastLine(stderr.String()))
	case silentOnPass[name] && tap.Passed+tap.Failed+tap.Todo == 0:
		// Exit 0 with no TAP is this program's pass (see silentOnPass).
	case res.TAPError != nil:
		res.Status, res.Reason = "fail", res.TAPError.Error()
	}
	if res.Status == "" {
		res.Status = "pass"
	}
	_ = os.WriteFile(filepath.Join(h.results, name+".tap"), []byte(res.Output), 0o644)
	return res
}

// silentOnPass lists the programs that print no TAP at all when the
// runtime behaves: they expect create to fail (an unknown rlimit or
// capability) and only call util.Fatal, exiting 1, when it succeeds. Every
// other program must print TAP.
var silentOnPass = map[string]bool{
	"process_rlimits_fail":      true,
	"process_capabilities_fail": true,
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// listEntry is one line of list.txt: a program name and, optionally,
// "xfail: TEXT" when the program is known to fail for a reason that is
// not the runtime's (see list.txt). Such an entry passes only when the
// program exits 0 and every failure it reports contains TEXT; it fails
// when the program passes, so a stale xfail is noticed.
type listEntry struct {
	Name  string
	XFail string
	// Attempts > 1 reruns a program whose own check is a race (see
	// list.txt); it passes if any attempt passes, and every failed
	// attempt is logged.
	Attempts int
}

// readList reads list entries, one per line; '#' starts a comment.
func readList(t *testing.T, path string) []listEntry {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err, "open program list")
	defer f.Close()
	var entries []listEntry
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var e listEntry
		name, rest, hasRest := strings.Cut(line, " ")
		e.Name = name
		e.Attempts = 1
		if hasRest {
			rest = strings.TrimSpace(rest)
			if a, ok := strings.CutPrefix(rest, "attempts:"); ok {
				n, err := strconv.Atoi(strings.TrimSpace(a))
				require.NoError(t, err, "%s:%d: attempts needs a number", path, n)
				require.True(t, n > 1 && n <= 10, "%s:%d: attempts must be 2..10", path, n)
				e.Attempts = n
			} else {
				x, ok := strings.CutPrefix(rest, "xfail:")
				require.True(t, ok, "%s:%d: after the program name only \"xfail: TEXT\" or \"attempts: N\" may follow, got %q", path, n, rest)
				e.XFail = strings.TrimSpace(x)
				require.NotEmpty(t, e.XFail, "%s:%d: xfail needs the failure text it expects", path, n)
			}
		}
		require.NotContains(t, e.Name, "/", "%s:%d: program name %q must be a bare name", path, n, e.Name)
		require.False(t, seen[e.Name], "%s:%d: program %q listed twice", path, n, e.Name)
		seen[e.Name] = true
		entries = append(entries, e)
	}
	require.NoError(t, sc.Err(), "read %s", path)
	require.NotEmpty(t, entries, "%s lists no programs", path)
	return entries
}

// judgeXFail says whether a result is exactly the listed expected failure.
func judgeXFail(res result, xfail string) error {
	if res.Status == "pass" {
		return fmt.Errorf("passed, but list.txt expects it to fail with %q: remove the xfail", xfail)
	}
	if !res.CleanExit || len(res.Failures) == 0 {
		return fmt.Errorf("%s: %s (expected only failures containing %q)", res.Status, res.Reason, xfail)
	}
	for _, f := range res.Failures {
		if !strings.Contains(f, xfail) {
			return fmt.Errorf("unexpected failure %q (expected only failures containing %q)", f, xfail)
		}
	}
	return nil
}

// failureDigest collects, for each failed program, its reason and the end
// of its output. TestMain prints it after every test has run, so the tail
// of `go test` output (all a CI log excerpt may keep) says why a program
// failed, not only that it did.
var failureDigest []string

func TestMain(m *testing.M) {
	code := m.Run()
	if len(failureDigest) > 0 {
		fmt.Println("=== runtime-tools failures (TAP and stderr in " + envOr(envResults, "results") + "/<runtime>/) ===")
		for _, d := range failureDigest {
			fmt.Println(d)
		}
	}
	os.Exit(code)
}

// digest is a failed result in a few lines: the reason and the last lines
// of the program's output (where the runtime's error line lands).
func digest(res result, why string) string {
	lines := strings.Split(strings.TrimSpace(res.Output), "\n")
	if len(lines) > 12 {
		lines = lines[len(lines)-12:]
	}
	return fmt.Sprintf("%s: %s\n    %s", res.Name, why, strings.Join(lines, "\n    "))
}

// TestRuntimeTools runs the programs named in list.txt (or $OCI_LIST)
// against $RUNTIME, one subtest per program. A subtest fails on any
// "not ok" line, a TAP plan mismatch, a non-zero exit or a timeout.
func TestRuntimeTools(t *testing.T) {
	h := newHarness(t)
	entries := readList(t, envOr(envList, "list.txt"))
	t.Logf("runtime %s (%s), %d programs, timeout %s each, TAP in %s", h.name, h.runtime, len(entries), h.timeout, h.results)
	for _, e := range entries {
		t.Run(e.Name, func(t *testing.T) {
			res := h.run(e.Name)
			for i := 1; i < e.Attempts && res.Status != "pass"; i++ {
				t.Logf("attempt %d of %d failed (%s: %s); the program races the container against its hook, trying again", i, e.Attempts, res.Status, res.Reason)
				res = h.run(e.Name)
			}
			if e.XFail != "" {
				if err := judgeXFail(res, e.XFail); err != nil {
					failureDigest = append(failureDigest, digest(res, err.Error()))
					t.Logf("TAP output of %s:\n%s", e.Name, res.Output)
					t.Fatalf("%s: %v", e.Name, err)
				}
				t.Logf("expected failure (list.txt xfail): %s", res.Reason)
				return
			}
			if res.Status != "pass" {
				failureDigest = append(failureDigest, digest(res, res.Status+": "+res.Reason))
				t.Logf("TAP output of %s:\n%s", e.Name, res.Output)
				t.Fatalf("%s: %s: %s", e.Name, res.Status, res.Reason)
			}
			t.Logf("%d/%d ok in %.1fs", res.Passed, res.Passed+res.Failed, res.Seconds)
		})
	}
}

// TestRuntimeToolsAll runs every validation program in the bin dir and
// writes results/<runtime>.json and results/<runtime>.md. It reports but
// never fails on a program's result: it produces the table in
// docs/runtime-tools.md.
func TestRuntimeToolsAll(t *testing.T) {
	if os.Getenv(envAll) != "1" {
		t.Skipf("set %s=1 to run every validation program and write a results table", envAll)
	}
	h := newHarness(t)
	entries, err := os.ReadDir(h.bin)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != "runtimetest" && !strings.Contains(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	require.NotEmpty(t, names, "no validation programs in %s", h.bin)

	var all []result
	counts := map[string]int{}
	for _, name := range names {
		res := h.run(name)
		all = append(all, res)
		counts[res.Status]++
		t.Logf("%-36s %-7s %5.1fs %s", name, res.Status, res.Seconds, res.Reason)
	}

	js, err := json.MarshalIndent(all, "", "  ")
	require.NoError(t, err)
	dir := filepath.Dir(h.results)
	require.NoError(t, os.WriteFile(filepath.Join(dir, h.name+".json"), js, 0o644))
	var md strings.Builder
	fmt.Fprintf(&md, "| program | %s | first failure |\n|---|---|---|\n", h.name)
	for _, r := range all {
		fmt.Fprintf(&md, "| %s | %s | %s |\n", r.Name, r.Status, strings.ReplaceAll(r.Reason, "|", `\|`))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, h.name+".md"), []byte(md.String()), 0o644))
	t.Logf("%s: %d pass, %d fail, %d timeout of %d; table in %s", h.name, counts["pass"], counts["fail"], counts["timeout"], len(all), filepath.Join(dir, h.name+".md"))
}
