package procattr

import (
	"runtime"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestParseList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{in: "0", want: []int{0}},
		{in: "0-3,7", want: []int{0, 1, 2, 3, 7}},
		{in: "5-5", want: []int{5}},
		{in: "2,0", want: []int{2, 0}},
		{in: "15", want: []int{15}},
		{in: "", err: "empty list"},
		{in: "16", err: "16 is out of range 0..15"},
		{in: "0-16", err: "16 is out of range 0..15"},
		{in: "0-99999999999999999999", err: "99999999999999999999 is out of range 0..15"},
		{in: "3-1", err: `range "3-1" is reversed`},
		{in: "1,", err: `malformed element ""`},
		{in: ",1", err: `malformed element ""`},
		{in: "1,,2", err: `malformed element ""`},
		{in: "-1", err: `malformed element "-1"`},
		{in: "1-", err: `malformed element "1-"`},
		{in: "1-2-3", err: `malformed element "1-2-3"`},
		{in: "+1", err: `malformed element "+1"`},
		{in: " 1", err: `malformed element " 1"`},
		{in: "a", err: `malformed element "a"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseList(tc.in, 16)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// FuzzParseList checks that whatever the parser accepts names only ids in
// range and reads back the same set when printed as a list of singletons.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{"0", "0-3,7", "1,,2", "3-1", "0-4294967295", "-", "1-2-3", "007"} {
		f.Add(s)
	}
	const limit = 64
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := ParseList(s, limit)
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		require.NotEmpty(t, ids)
		parts := make([]string, len(ids))
		for i, id := range ids {
			require.True(t, id >= 0 && id < limit, "id %d out of range for %q", id, s)
			parts[i] = strconv.Itoa(id)
		}
		again, err := ParseList(strings.Join(parts, ","), limit)
		require.NoError(t, err)
		require.Equal(t, ids, again)
	})
}

func TestCPUSetAndCheck(t *testing.T) {
	set, err := CPUSet("f", "0-2,9")
	require.NoError(t, err)
	require.Equal(t, 4, set.Count())
	for _, c := range []int{0, 1, 2, 9} {
		require.True(t, set.IsSet(c), "cpu %d", c)
	}
	_, err = CPUSet("process.execCPUAffinity.final", strconv.Itoa(MaxCPUs))
	require.EqualError(t, err, "process.execCPUAffinity.final: 1024 is out of range 0..1023")

	require.NoError(t, CheckCPUAffinity(nil))
	require.NoError(t, CheckCPUAffinity(&specs.CPUAffinity{}))
	require.NoError(t, CheckCPUAffinity(&specs.CPUAffinity{Initial: "0", Final: "0-1"}))
	require.EqualError(t, CheckCPUAffinity(&specs.CPUAffinity{Initial: "x"}),
		`process.execCPUAffinity.initial: malformed element "x"`)
	require.EqualError(t, CheckCPUAffinity(&specs.CPUAffinity{Initial: "0", Final: "1-0"}),
		`process.execCPUAffinity.final: range "1-0" is reversed`)
}

// TestApplyExecCPUAffinity sets the affinity of a locked thread, which then
// exits with its goroutine so the change cannot leak into other tests.
func TestApplyExecCPUAffinity(t *testing.T) {
	var orig unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &orig))
	first := -1
	for c := 0; c < MaxCPUs && first < 0; c++ {
		if orig.IsSet(c) {
			first = c
		}
	}
	require.GreaterOrEqual(t, first, 0)

	for _, tc := range []struct {
		name string
		a    specs.CPUAffinity
	}{
		{"final", specs.CPUAffinity{Initial: "99999", Final: strconv.Itoa(first)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errc := make(chan error, 1)
			got := make(chan unix.CPUSet, 1)
			go func() {
				runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
				if err := ApplyExecCPUAffinity(&tc.a); err != nil {
					errc <- err
					return
				}
				var s unix.CPUSet
				errc <- unix.SchedGetaffinity(0, &s)
				got <- s
			}()
			require.NoError(t, <-errc)
			s := <-got
			require.Equal(t, 1, s.Count())
			require.True(t, s.IsSet(first))
		})
	}

	// A CPU outside the allowed set is refused by the kernel, naming the field.
	err := SetAffinity(0, "process.execCPUAffinity.final", strconv.Itoa(MaxCPUs-1))
	if !orig.IsSet(MaxCPUs - 1) {
		require.ErrorContains(t, err, `process.execCPUAffinity.final "1023": sched_setaffinity: invalid argument`)
	}
	require.NoError(t, ApplyExecCPUAffinity(nil))
	require.NoError(t, ApplyExecCPUAffinity(&specs.CPUAffinity{}))
	// "initial" alone is the runtime's, before the cgroup move: no change.
	require.NoError(t, ApplyExecCPUAffinity(&specs.CPUAffinity{Initial: strconv.Itoa(first)}))
	var now unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &now))
	require.Equal(t, orig, now)
}
