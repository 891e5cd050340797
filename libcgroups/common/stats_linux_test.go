package common

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseNestedKeyedIOStat(t *testing.T) {
	data := "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0 cost.vrate=100.00\n" +
		"253:1 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6\n"
	got, err := ParseNestedKeyed([]byte(data))
	require.NoError(t, err)
	require.Equal(t, map[string]map[string]uint64{
		"8:0":   {"rbytes": 4096, "wbytes": 8192, "rios": 1, "wios": 2, "dbytes": 0, "dios": 0},
		"253:1": {"rbytes": 1, "wbytes": 2, "rios": 3, "wios": 4, "dbytes": 5, "dios": 6},
	}, got, "the iocost fraction is skipped, not truncated")

	got, err = ParseNestedKeyed([]byte("mlx4_0 hca_handle=2 hca_object=max\n"))
	require.NoError(t, err)
	require.Equal(t, uint64(math.MaxUint64), got["mlx4_0"]["hca_object"])
}

func TestParseNestedKeyedRejectsMalformed(t *testing.T) {
	for _, bad := range []string{
		"8:0 rbytes\n",
		"8:0 =5\n",
		"8:0 rbytes=-1\n",
		"8:0 rbytes=12x\n",
	} {
		_, err := ParseNestedKeyed([]byte(bad))
		require.Error(t, err, "%q", bad)
		require.Contains(t, err.Error(), "line 1", "%q", bad)
	}
}

func TestParsePSI(t *testing.T) {
	got, err := ParsePSI([]byte("some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\nfull avg10=0.10 avg60=0.00 avg300=0.00 total=77\n"))
	require.NoError(t, err)
	require.Equal(t, &PSIStats{
		Some: PSIData{Avg10: 1.5, Avg60: 0.25, Total: 12345},
		Full: PSIData{Avg10: 0.1, Total: 77},
	}, got)

	// cpu.pressure before 5.13 has no "full" line.
	got, err = ParsePSI([]byte("some avg10=0.00 avg60=0.00 avg300=0.00 total=9\n"))
	require.NoError(t, err)
	require.Equal(t, PSIData{Total: 9}, got.Some)
	require.Equal(t, PSIData{}, got.Full)

	for _, bad := range []string{
		"most avg10=0.00\n",
		"some avg10\n",
		"some avg10=x\n",
		"some avg10=-1\n",
		"some avg10=NaN\n",
		"some total=1.5\n",
	} {
		_, err := ParsePSI([]byte(bad))
		require.Error(t, err, "%q", bad)
	}
}

func TestParseBlkio(t *testing.T) {
	data := "8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:0 Async 4608\n8:0 Discard 0\n8:0 Total 4608\n" +
		"253:0 Read 1\n253:0 Total 1\nTotal 4609\n"
	got, err := ParseBlkio([]byte(data))
	require.NoError(t, err)
	require.Equal(t, []BlkioEntry{
		{8, 0, "Read", 4096}, {8, 0, "Write", 512}, {8, 0, "Sync", 0}, {8, 0, "Async", 4608},
		{8, 0, "Discard", 0}, {8, 0, "Total", 4608}, {253, 0, "Read", 1}, {253, 0, "Total", 1},
	}, got)

	// An unused cgroup's file is just the grand total.
	got, err = ParseBlkio([]byte("Total 0\n"))
	require.NoError(t, err)
	require.Empty(t, got)

	got, err = ParseBlkio([]byte("8:16 42\n"))
	require.NoError(t, err)
	require.Equal(t, []BlkioEntry{{Major: 8, Minor: 16, Value: 42}}, got)

	for _, bad := range []string{"8:0 Read\n", "8-0 Read 1\n", "8:0 Read x\n", "Total x\n", "8:0 a b c\n", "x:0 Read 1\n"} {
		_, err := ParseBlkio([]byte(bad))
		require.Error(t, err, "%q", bad)
	}
}

func TestParseUintHelpers(t *testing.T) {
	v, err := ParseUint([]byte("123\n"))
	require.NoError(t, err)
	require.EqualValues(t, 123, v)
	_, err = ParseUint([]byte("max\n"))
	require.Error(t, err)
	v, err = ParseUintOrMaxLimit([]byte("max\n"))
	require.NoError(t, err)
	require.Equal(t, uint64(math.MaxUint64), v)
	l, err := ParseUintList([]byte("1 2 3 \n"))
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2, 3}, l)
	_, err = ParseUintList([]byte("1 -2\n"))
	require.Error(t, err)
}

func TestIOStatToBlkioSortsAndTotals(t *testing.T) {
	b, ios, err := IOStatToBlkio(map[string]map[string]uint64{
		"253:0": {"rbytes": 10, "wbytes": 20, "rios": 1, "wios": 2},
		"8:0":   {"rbytes": 1, "wbytes": 2, "rios": 3, "wios": 4, "dbytes": 5, "dios": 6},
	})
	require.NoError(t, err)
	require.Equal(t, []BlkioEntry{
		{8, 0, "Read", 1}, {8, 0, "Write", 2}, {8, 0, "Discard", 5}, {8, 0, "Total", 3},
		{253, 0, "Read", 10}, {253, 0, "Write", 20}, {253, 0, "Total", 30},
	}, b)
	require.Equal(t, []BlkioEntry{
		{8, 0, "Read", 3}, {8, 0, "Write", 4}, {8, 0, "Discard", 6}, {8, 0, "Total", 7},
		{253, 0, "Read", 1}, {253, 0, "Write", 2}, {253, 0, "Total", 3},
	}, ios)
	_, _, err = IOStatToBlkio(map[string]map[string]uint64{"sda": {}})
	require.Error(t, err)
}

func TestStatReadersNameTheFileAndSkipMissingOnes(t *testing.T) {
	dir := t.TempDir()
	var v uint64 = 7
	require.NoError(t, ReadStatUint(dir, "memory.peak", &v), "a missing file is not reported")
	require.EqualValues(t, 7, v, "and leaves the value alone")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "memory.current"), []byte("12 34\n"), 0o644))
	err := ReadStatUint(dir, "memory.current", &v)
	require.ErrorContains(t, err, "parse "+filepath.Join(dir, "memory.current"))

	require.NoError(t, os.WriteFile(filepath.Join(dir, "cpu.pressure"), []byte("some avg10=bad\n"), 0o644))
	_, err = ReadStatPSI(dir, "cpu.pressure")
	require.ErrorContains(t, err, filepath.Join(dir, "cpu.pressure"))

	require.NoError(t, os.WriteFile(filepath.Join(dir, "memory.stat"), []byte("anon 1\nfile\n"), 0o644))
	_, err = ReadStatFlat(dir, "memory.stat")
	require.ErrorContains(t, err, filepath.Join(dir, "memory.stat"))

	for _, f := range []string{"hugetlb.2MB.current", "hugetlb.2MB.rsvd.current", "hugetlb.1GB.current", "hugetlb.2MB.max"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), nil, 0o644))
	}
	sizes, err := HugePageSizes(dir, "current")
	require.NoError(t, err)
	require.Equal(t, []string{"1GB", "2MB"}, sizes)
}

func TestMergeStatsTakesWhatV1Lacks(t *testing.T) {
	psi := &PSIStats{Some: PSIData{Total: 1}}
	v1 := &Stats{Pids: PidsStats{Current: 3}, Memory: MemoryStats{Cache: 1}}
	v2 := &Stats{Pids: PidsStats{Current: 9}, Memory: MemoryStats{Cache: 2, PSI: psi},
		Hugetlb: map[string]HugetlbStats{"2MB": {Usage: 5}}, CPU: CPUStats{PSI: psi}}
	MergeStats(v1, v2, func(c string) bool { return c != "hugetlb" })
	require.EqualValues(t, 3, v1.Pids.Current)
	require.EqualValues(t, 1, v1.Memory.Cache)
	require.Equal(t, v2.Hugetlb, v1.Hugetlb)
	require.Same(t, psi, v1.Memory.PSI)
	require.Same(t, psi, v1.CPU.PSI)
	require.Nil(t, v1.Blkio.PSI)
}

// The parsers read kernel files that a container may influence only by
// its usage, but a future kernel may change their format: whatever the
// input, they must return an error, never panic, and what they accept
// must be consistent.
func FuzzParseNestedKeyed(f *testing.F) {
	f.Add("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n")
	f.Add("x a=max b=1.5\n\n")
	f.Add("8:0 =\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseNestedKeyed([]byte(s))
		if err != nil {
			require.Contains(t, err.Error(), "line ")
			return
		}
		for k := range m {
			require.NotEmpty(t, k)
			require.False(t, strings.ContainsAny(k, " \t\n"))
		}
		if _, _, err := IOStatToBlkio(m); err == nil {
			for k := range m {
				_, _, derr := parseDevice(k)
				require.NoError(t, derr)
			}
		}
	})
}

func FuzzParsePSI(f *testing.F) {
	f.Add("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
	f.Add("some avg10=1e400\n")
	f.Add("full total=18446744073709551615\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParsePSI([]byte(s))
		if err != nil {
			return
		}
		for _, d := range []PSIData{st.Some, st.Full} {
			for _, v := range []float64{d.Avg10, d.Avg60, d.Avg300} {
				require.False(t, v < 0 || math.IsNaN(v) || math.IsInf(v, 0), "accepted %v from %q", v, s)
			}
		}
	})
}

func FuzzParseBlkio(f *testing.F) {
	f.Add("8:0 Read 4096\n8:0 Total 4096\nTotal 4096\n")
	f.Add("8:16 42\n")
	f.Add("Total\n")
	f.Fuzz(func(t *testing.T, s string) {
		es, err := ParseBlkio([]byte(s))
		if err != nil {
			require.Contains(t, err.Error(), "line ")
			return
		}
		for _, e := range es {
			require.LessOrEqual(t, e.Major, uint64(math.MaxUint32))
			require.LessOrEqual(t, e.Minor, uint64(math.MaxUint32))
		}
	})
}

func FuzzParseFlatKeyedAndUintList(f *testing.F) {
	f.Add("anon 1\nfile 2\n")
	f.Add("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
	f.Add("1 2 3\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseFlatKeyed([]byte(s))
		_, _ = ParseUintList([]byte(s))
		_, _ = ParseUint([]byte(s))
		_, _ = ParseUintOrMaxLimit([]byte(s))
	})
}
