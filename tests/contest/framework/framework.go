// Package framework is the test framework of the contest suite: named
// tests, conditional tests that skip with a reason when the host lacks a
// feature, groups that run their tests in parallel or one by one, and a
// manager that runs a selection of groups with per-test timeouts and
// cleanups that always run.
//
// It mirrors youki's test_framework crate (Testable, ConditionalTest,
// TestGroup, TestManager) so that results can be compared line by line.
package framework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Status is the outcome of one test.
type Status int

const (
	// Passed means every check held.
	Passed Status = iota
	// Skipped means the test could not run here; Result.Reason says why.
	Skipped
	// Failed means a check did not hold; Result.Err says which.
	Failed
)

// Result is what a test returns.
type Result struct {
	Status Status
	Reason string // why it was skipped
	Err    error  // why it failed
}

// Pass is the result of a test whose checks all held.
func Pass() Result { return Result{Status: Passed} }

// Skip is the result of a test that cannot run on this host.
func Skip(reason string) Result { return Result{Status: Skipped, Reason: reason} }

// Fail is the result of a failed test; a nil err still fails.
func Fail(err error) Result {
	if err == nil {
		err = errors.New("failed without an error")
	}
	return Result{Status: Failed, Err: err}
}

// Failf is Fail(fmt.Errorf(format, args...)).
func Failf(format string, args ...any) Result { return Fail(fmt.Errorf(format, args...)) }

// FromError passes on nil and fails otherwise.
func FromError(err error) Result {
	if err != nil {
		return Fail(err)
	}
	return Pass()
}

// T is handed to every test: its context carries the test's deadline, and
// Cleanup registers functions that run after the test, whatever its
// outcome (also after a timeout or a panic), last registered first.
type T struct {
	ctx      context.Context
	group    string
	name     string
	mu       sync.Mutex
	cleanups []func() error
}

// NewT returns a T for a test run outside a Manager (unit tests of
// helpers); the caller runs RunCleanups.
func NewT(ctx context.Context, group, name string) *T {
	return &T{ctx: ctx, group: group, name: name}
}

// Context is cancelled when the test times out.
func (t *T) Context() context.Context { return t.ctx }

// Name is "group::test".
func (t *T) Name() string { return t.group + "::" + t.name }

// Cleanup registers fn to run after the test.
func (t *T) Cleanup(fn func() error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, fn)
}

// RunCleanups runs the registered cleanups, last first, and joins their
// errors. Each runs once.
func (t *T) RunCleanups() error {
	t.mu.Lock()
	fns := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	var errs []error
	for i := len(fns) - 1; i >= 0; i-- {
		if err := runProtected(fns[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func runProtected(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cleanup panicked: %v", r)
		}
	}()
	return fn()
}

// Testable is one test.
type Testable interface {
	Name() string
	// CanRun says whether the host can run the test, and if not why.
	CanRun() (bool, string)
	Run(t *T) Result
}

// Test is an unconditional test.
type Test struct {
	name string
	fn   func(t *T) Result
}

// NewTest returns a test named name that runs fn.
func NewTest(name string, fn func(t *T) Result) *Test { return &Test{name: name, fn: fn} }

// Name implements Testable.
func (x *Test) Name() string { return x.name }

// CanRun implements Testable: always true.
func (x *Test) CanRun() (bool, string) { return true, "" }

// Run implements Testable.
func (x *Test) Run(t *T) Result { return x.fn(t) }

// ConditionalTest runs only when check says the host can; otherwise it is
// skipped with the reason check gives.
type ConditionalTest struct {
	Test
	check func() (bool, string)
}

// NewConditionalTest returns a test that runs fn if check returns true.
func NewConditionalTest(name string, check func() (bool, string), fn func(t *T) Result) *ConditionalTest {
	return &ConditionalTest{Test: Test{name: name, fn: fn}, check: check}
}

// CanRun implements Testable.
func (x *ConditionalTest) CanRun() (bool, string) {
	ok, reason := x.check()
	if !ok && reason == "" {
		reason = "condition not met"
	}
	return ok, reason
}

// TestGroup is a named set of tests. By default its tests run in parallel
// and are reported sorted by name; SetNonParallel makes the group run
// alone, one test at a time; SetOrdered additionally keeps the order in
// which tests were added (lifecycle: create before start before kill).
type TestGroup struct {
	name     string
	tests    []Testable
	parallel bool
	ordered  bool
	timeout  time.Duration
	cleanups []func() error
}

// NewTestGroup returns an empty parallel group.
func NewTestGroup(name string) *TestGroup { return &TestGroup{name: name, parallel: true} }

// Name is the group's name.
func (g *TestGroup) Name() string { return g.name }

// Parallel says whether the group's tests may run concurrently with each
// other and with other parallel groups.
func (g *TestGroup) Parallel() bool { return g.parallel }

// SetNonParallel makes the group run alone and its tests one by one.
func (g *TestGroup) SetNonParallel() *TestGroup { g.parallel = false; return g }

// SetOrdered makes the group run serially in insertion order (it still
// runs concurrently with other groups).
func (g *TestGroup) SetOrdered() *TestGroup { g.ordered = true; return g }

// SetTimeout overrides the manager's per-test timeout for this group.
func (g *TestGroup) SetTimeout(d time.Duration) *TestGroup { g.timeout = d; return g }

// Add appends tests. A duplicate name panics: it is a programming error.
func (g *TestGroup) Add(tests ...Testable) *TestGroup {
	for _, x := range tests {
		if g.find(x.Name()) != nil {
			panic(fmt.Sprintf("contest: group %s: duplicate test %q", g.name, x.Name()))
		}
		g.tests = append(g.tests, x)
	}
	if !g.ordered {
		slices.SortStableFunc(g.tests, func(a, b Testable) int { return strings.Compare(a.Name(), b.Name()) })
	}
	return g
}

// Cleanup registers fn to run once the group has finished (state that an
// ordered group's tests share, such as lifecycle's container).
func (g *TestGroup) Cleanup(fn func() error) *TestGroup {
	g.cleanups = append(g.cleanups, fn)
	return g
}

// Tests returns the group's tests in run order.
func (g *TestGroup) Tests() []Testable { return slices.Clone(g.tests) }

func (g *TestGroup) find(name string) Testable {
	for _, x := range g.tests {
		if x.Name() == name {
			return x
		}
	}
	return nil
}
