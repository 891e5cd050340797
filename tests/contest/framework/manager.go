package framework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout bounds one test when neither the manager nor the group
// sets another.
const DefaultTimeout = 2 * time.Minute

// cleanupGrace is how long a timed-out test gets to return once its
// context is cancelled before its cleanups run anyway.
const cleanupGrace = 10 * time.Second

// Selection names a group and, optionally, some of its tests (all when
// Tests is empty).
type Selection struct {
	Group string
	Tests []string
}

// ParseSelections parses the -t arguments: "group" or
// "group::test1,test2". Several entries for one group merge.
func ParseSelections(args []string) ([]Selection, error) {
	var out []Selection
	index := map[string]int{}
	for _, arg := range args {
		for _, one := range strings.Fields(arg) {
			group, tests, hasTests := strings.Cut(one, "::")
			if group == "" {
				return nil, fmt.Errorf("test selection %q: empty group name", one)
			}
			var names []string
			if hasTests {
				for _, n := range strings.Split(tests, ",") {
					if n = strings.TrimSpace(n); n != "" {
						names = append(names, n)
					}
				}
				if len(names) == 0 {
					return nil, fmt.Errorf("test selection %q names no tests", one)
				}
			}
			if i, ok := index[group]; ok {
				// "group" alone selects everything and wins.
				if len(out[i].Tests) > 0 && len(names) > 0 {
					out[i].Tests = append(out[i].Tests, names...)
				} else {
					out[i].Tests = nil
				}
				continue
			}
			index[group] = len(out)
			out = append(out, Selection{Group: group, Tests: names})
		}
	}
	return out, nil
}

// Outcome is one finished test.
type Outcome struct {
	Group, Test string
	Result      Result
	Duration    time.Duration
}

// Summary counts the outcomes of a run.
type Summary struct {
	Passed, Failed, Skipped int
	Outcomes                []Outcome
	// CleanupErr is what the manager's own cleanups (run after every
	// group) failed with: something outlived the tests that made it.
	CleanupErr error
}

// String is the final summary line.
func (s Summary) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", s.Passed, s.Failed, s.Skipped)
}

// Manager holds the groups and runs them.
type Manager struct {
	// Out receives the report; nil discards it.
	Out io.Writer
	// Timeout bounds each test (DefaultTimeout when zero).
	Timeout time.Duration
	// Jobs is how many tests of parallel groups run at once (2 when zero).
	Jobs int
	// Exclude maps "group::test" (or a whole "group") to the reason it is
	// excluded; excluded tests are reported as skipped with that reason.
	Exclude map[string]string

	groups   map[string]*TestGroup
	cleanups []func() error
	outMu    sync.Mutex
}

// NewManager returns an empty manager writing to out.
func NewManager(out io.Writer) *Manager {
	return &Manager{Out: out, groups: map[string]*TestGroup{}}
}

// AddGroup registers g; a duplicate name panics.
func (m *Manager) AddGroup(g *TestGroup) {
	if _, dup := m.groups[g.name]; dup {
		panic(fmt.Sprintf("contest: duplicate group %q", g.name))
	}
	m.groups[g.name] = g
}

// AddCleanup registers fn to run once every selected group has finished.
func (m *Manager) AddCleanup(fn func() error) { m.cleanups = append(m.cleanups, fn) }

// GroupNames returns the registered group names, sorted.
func (m *Manager) GroupNames() []string { return slices.Sorted(maps.Keys(m.groups)) }

// Group returns the group called name, or nil.
func (m *Manager) Group(name string) *TestGroup { return m.groups[name] }

// plan is one group and the tests of it that were selected.
type plan struct {
	group *TestGroup
	tests []Testable
}

func (m *Manager) resolve(sel []Selection) ([]plan, error) {
	if len(sel) == 0 {
		for _, name := range m.GroupNames() {
			sel = append(sel, Selection{Group: name})
		}
	}
	var plans []plan
	for _, s := range sel {
		g := m.groups[s.Group]
		if g == nil {
			return nil, fmt.Errorf("unknown test group %q (contest list shows the groups)", s.Group)
		}
		p := plan{group: g}
		if len(s.Tests) == 0 {
			p.tests = g.Tests()
		} else {
			for _, n := range s.Tests {
				x := g.find(n)
				if x == nil {
					return nil, fmt.Errorf("group %s has no test %q", g.name, n)
				}
				if !slices.Contains(p.tests, x) {
					p.tests = append(p.tests, x)
				}
			}
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// Run runs the selection (every group when sel is empty): parallel groups
// first, their tests spread over Jobs workers, then the non-parallel groups
// one at a time, then the manager's cleanups. Each group's block is
// printed when the group finishes.
func (m *Manager) Run(ctx context.Context, sel []Selection) (Summary, error) {
	plans, err := m.resolve(sel)
	if err != nil {
		return Summary{}, err
	}
	jobs := m.Jobs
	if jobs <= 0 {
		jobs = 2
	}
	sem := make(chan struct{}, jobs)
	var (
		mu  sync.Mutex
		sum Summary
		wg  sync.WaitGroup
	)
	record := func(p plan, outs []Outcome) {
		mu.Lock()
		defer mu.Unlock()
		for _, o := range outs {
			switch o.Result.Status {
			case Passed:
				sum.Passed++
			case Skipped:
				sum.Skipped++
			default:
				sum.Failed++
			}
			sum.Outcomes = append(sum.Outcomes, o)
		}
		m.printGroup(p.group.name, outs)
	}
	for _, p := range plans {
		if !p.group.parallel {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			record(p, m.runGroup(ctx, p, sem))
		}()
	}
	wg.Wait()
	for _, p := range plans {
		if p.group.parallel {
			continue
		}
		record(p, m.runGroup(ctx, p, nil))
	}
	var errs []error
	for i := len(m.cleanups) - 1; i >= 0; i-- {
		if err := runProtected(m.cleanups[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		sum.CleanupErr = err
		m.printf("# cleanup: %v\n", oneLine(err.Error()))
	}
	m.printf("%s\n", sum)
	return sum, nil
}

// runGroup runs one group's selected tests: concurrently (bounded by sem)
// for a parallel unordered group, one by one otherwise.
func (m *Manager) runGroup(ctx context.Context, p plan, sem chan struct{}) []Outcome {
	outs := make([]Outcome, len(p.tests))
	concurrent := p.group.parallel && !p.group.ordered
	var wg sync.WaitGroup
	for i, x := range p.tests {
		run := func() {
			if sem != nil {
				sem <- struct{}{}
				defer func() { <-sem }()
			}
			outs[i] = m.runTest(ctx, p.group, x)
		}
		if concurrent {
			wg.Add(1)
			go func() { defer wg.Done(); run() }()
		} else {
			run()
		}
	}
	wg.Wait()
	for i := len(p.group.cleanups) - 1; i >= 0; i-- {
		if err := runProtected(p.group.cleanups[i]); err != nil {
			m.printf("# %s: group cleanup: %v\n", p.group.name, err)
		}
	}
	return outs
}

// runTest runs one test with its deadline and its cleanups.
func (m *Manager) runTest(parent context.Context, g *TestGroup, x Testable) Outcome {
	o := Outcome{Group: g.name, Test: x.Name()}
	for _, key := range []string{g.name + "::" + x.Name(), g.name} {
		if reason, ok := m.Exclude[key]; ok {
			o.Result = Skip("excluded: " + reason)
			return o
		}
	}
	if ok, reason := x.CanRun(); !ok {
		o.Result = Skip(reason)
		return o
	}
	timeout := g.timeout
	if timeout == 0 {
		timeout = m.Timeout
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	t := &T{ctx: ctx, group: g.name, name: x.Name()}
	start := time.Now()
	done := make(chan Result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- Failf("panic: %v", r)
			}
		}()
		done <- x.Run(t)
	}()
	select {
	case o.Result = <-done:
	case <-ctx.Done():
		// Commands the test started are bound to ctx and die with it; give
		// the test a moment to return before its cleanups run regardless.
		select {
		case <-done:
		case <-time.After(cleanupGrace):
		}
		o.Result = Failf("timed out after %s", timeout)
	}
	if err := t.RunCleanups(); err != nil && o.Result.Status == Passed {
		o.Result = Fail(fmt.Errorf("cleanup: %w", err))
	} else if err != nil {
		m.printf("# %s: cleanup: %v\n", t.Name(), err)
	}
	o.Duration = time.Since(start)
	return o
}

// printGroup prints a finished group in youki's format, each test followed
// by a go-test-style line that CI runners count.
func (m *Manager) printGroup(group string, outs []Outcome) {
	var b strings.Builder
	fmt.Fprintf(&b, "# Start group %s\n", group)
	for i, o := range outs {
		full := "contest/" + o.Group + "/" + o.Test
		secs := o.Duration.Seconds()
		switch o.Result.Status {
		case Passed:
			fmt.Fprintf(&b, "%d / %d : %s : ok\n", i+1, len(outs), o.Test)
			fmt.Fprintf(&b, "--- PASS: %s (%.2fs)\n", full, secs)
		case Skipped:
			fmt.Fprintf(&b, "%d / %d : %s : skipped %s\n", i+1, len(outs), o.Test, oneLine(o.Result.Reason))
			fmt.Fprintf(&b, "--- SKIP: %s (%.2fs)\n", full, secs)
		default:
			fmt.Fprintf(&b, "%d / %d : %s : not ok %s\n", i+1, len(outs), o.Test, oneLine(fmt.Sprint(o.Result.Err)))
			fmt.Fprintf(&b, "--- FAIL: %s (%.2fs)\n", full, secs)
		}
	}
	fmt.Fprintf(&b, "# End group %s\n", group)
	m.printf("%s", b.String())
}

func (m *Manager) printf(format string, args ...any) {
	if m.Out == nil {
		return
	}
	m.outMu.Lock()
	defer m.outMu.Unlock()
	fmt.Fprintf(m.Out, format, args...)
}

// oneLine keeps a multi-line error on one report line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.ReplaceAll(s, "\n", " | ")
}
