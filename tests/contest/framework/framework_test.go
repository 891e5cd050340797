package framework

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseSelections(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    []Selection
		wantErr string
	}{
		{name: "groups", args: []string{"a", "b"}, want: []Selection{{Group: "a"}, {Group: "b"}}},
		{name: "tests", args: []string{"a::x,y", "b"}, want: []Selection{{Group: "a", Tests: []string{"x", "y"}}, {Group: "b"}}},
		{name: "merge tests", args: []string{"a::x", "a::y"}, want: []Selection{{Group: "a", Tests: []string{"x", "y"}}}},
		{name: "whole group wins", args: []string{"a::x", "a"}, want: []Selection{{Group: "a"}}},
		{name: "space separated in one arg", args: []string{"a b::z"}, want: []Selection{{Group: "a"}, {Group: "b", Tests: []string{"z"}}}},
		{name: "empty group", args: []string{"::x"}, wantErr: "empty group"},
		{name: "no tests", args: []string{"a::"}, wantErr: "names no tests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSelections(tc.args)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseExcludes(t *testing.T) {
	got, err := ParseExcludes(strings.NewReader("# comment\n\nexec needs exec\nhooks::hooks runc bug here\n"))
	require.NoError(t, err)
	require.Equal(t, map[string]string{"exec": "needs exec", "hooks::hooks": "runc bug here"}, got)

	_, err = ParseExcludes(strings.NewReader("exec\n"))
	require.ErrorContains(t, err, "has no reason")
	_, err = ParseExcludes(strings.NewReader("exec:: why\n"))
	require.ErrorContains(t, err, "bad entry")
}

func TestManagerReportsEveryOutcome(t *testing.T) {
	var out bytes.Buffer
	m := NewManager(&out)
	var cleaned atomic.Int32
	m.AddGroup(NewTestGroup("g").Add(
		NewTest("pass", func(t *T) Result { t.Cleanup(func() error { cleaned.Add(1); return nil }); return Pass() }),
		NewTest("fail", func(t *T) Result {
			t.Cleanup(func() error { cleaned.Add(1); return nil })
			return Failf("boom\nsecond line")
		}),
		NewConditionalTest("cond", func() (bool, string) { return false, "no feature" }, func(*T) Result { return Pass() }),
		NewTest("panics", func(*T) Result { panic("oops") }),
		NewTest("excluded", func(*T) Result { return Fail(errors.New("must not run")) }),
		NewTest("dirty", func(t *T) Result { t.Cleanup(func() error { return errors.New("left a cgroup") }); return Pass() }),
	))
	m.Exclude = map[string]string{"g::excluded": "not landed"}
	sum, err := m.Run(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, 1, sum.Passed)
	require.Equal(t, 3, sum.Failed)
	require.Equal(t, 2, sum.Skipped)
	require.EqualValues(t, 2, cleaned.Load(), "cleanups run for passing and failing tests")
	s := out.String()
	for _, want := range []string{
		"# Start group g\n",
		": pass : ok\n--- PASS: contest/g/pass (",
		": fail : not ok boom | second line\n--- FAIL: contest/g/fail (",
		": cond : skipped no feature\n--- SKIP: contest/g/cond (",
		": panics : not ok panic: oops\n",
		": excluded : skipped excluded: not landed\n",
		": dirty : not ok cleanup: left a cgroup\n",
		"# End group g\n",
		"1 passed, 3 failed, 2 skipped\n",
	} {
		require.Contains(t, s, want)
	}
	require.Contains(t, s, "1 / 6 : cond :", "tests are reported sorted by name")
}

func TestManagerTimeoutRunsCleanups(t *testing.T) {
	m := NewManager(nil)
	m.Timeout = 50 * time.Millisecond
	var cleaned atomic.Bool
	m.AddGroup(NewTestGroup("slow").Add(NewTest("hangs", func(t *T) Result {
		t.Cleanup(func() error { cleaned.Store(true); return nil })
		<-t.Context().Done()
		return Pass()
	})))
	sum, err := m.Run(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, 1, sum.Failed)
	require.ErrorContains(t, sum.Outcomes[0].Result.Err, "timed out after 50ms")
	require.True(t, cleaned.Load())
}

func TestManagerCleanupErrorIsReported(t *testing.T) {
	var out bytes.Buffer
	m := NewManager(&out)
	m.AddGroup(NewTestGroup("g").Add(NewTest("a", func(*T) Result { return Pass() })))
	m.AddCleanup(func() error { return errors.New("leftover container x") })
	sum, err := m.Run(context.Background(), nil)
	require.NoError(t, err)
	require.ErrorContains(t, sum.CleanupErr, "leftover container x")
	require.Contains(t, out.String(), "# cleanup: leftover container x\n")
}

func TestOrderedGroupKeepsOrderAndGroupCleanup(t *testing.T) {
	m := NewManager(nil)
	var order []string
	var groupCleaned bool
	g := NewTestGroup("lifecycle").SetOrdered()
	g.Cleanup(func() error { groupCleaned = true; return nil })
	for _, n := range []string{"create", "start", "delete"} {
		g.Add(NewTest(n, func(*T) Result { order = append(order, n); return Pass() }))
	}
	m.AddGroup(g)
	_, err := m.Run(context.Background(), []Selection{{Group: "lifecycle"}})
	require.NoError(t, err)
	require.Equal(t, []string{"create", "start", "delete"}, order)
	require.True(t, groupCleaned)
}

func TestRunSelectionErrors(t *testing.T) {
	m := NewManager(nil)
	m.AddGroup(NewTestGroup("g").Add(NewTest("a", func(*T) Result { return Pass() })))
	_, err := m.Run(context.Background(), []Selection{{Group: "nope"}})
	require.ErrorContains(t, err, `unknown test group "nope"`)
	_, err = m.Run(context.Background(), []Selection{{Group: "g", Tests: []string{"b"}}})
	require.ErrorContains(t, err, `group g has no test "b"`)
}
