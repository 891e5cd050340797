package common

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCPUSharesToWeight(t *testing.T) {
	for _, tc := range []struct{ shares, weight uint64 }{
		{0, 0}, {1, 1}, {2, 1}, {3, 2}, {10, 4}, {128, 21}, {512, 59},
		{1024, 100}, {2048, 174}, {100000, 4340}, {262143, 10000}, {262144, 10000}, {1 << 40, 10000},
	} {
		require.Equal(t, tc.weight, CPUSharesToWeight(tc.shares), "shares %d", tc.shares)
	}
}

func FuzzCPUSharesToWeight(f *testing.F) {
	for _, s := range []uint64{0, 2, 3, 1023, 1024, 1025, 262143, 262144} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, shares uint64) {
		w := CPUSharesToWeight(shares)
		if shares == 0 {
			require.Zero(t, w)
			return
		}
		require.GreaterOrEqual(t, w, uint64(1))
		require.LessOrEqual(t, w, uint64(10000))
		// Monotonic: more shares never give less weight.
		if shares > 1 {
			require.LessOrEqual(t, CPUSharesToWeight(shares-1), w, "shares %d", shares)
		}
	})
}

func TestMemorySwapToV2(t *testing.T) {
	for _, tc := range []struct {
		name          string
		swap, memory  int64
		want          int64
		wantErr       string
		belowMemError bool
	}{
		{name: "both unset", swap: 0, memory: 0, want: 0},
		{name: "memory unlimited, swap unset: both unlimited", swap: 0, memory: -1, want: -1},
		{name: "swap unlimited", swap: -1, memory: 1000, want: -1},
		{name: "swap unlimited, memory unset", swap: -1, memory: 0, want: -1},
		{name: "swap unset keeps swap", swap: 0, memory: 1000, want: 0},
		{name: "memory unlimited passes swap", swap: 5000, memory: -1, want: 5000},
		{name: "swap equals memory: no swap", swap: 1000, memory: 1000, want: 0},
		{name: "difference", swap: 3000, memory: 1000, want: 2000},
		{name: "swap without memory", swap: 3000, memory: 0, wantErr: "a swap limit needs a memory limit"},
		{name: "negative swap with memory unlimited", swap: -35, memory: -1, wantErr: "invalid memory+swap limit -35"},
		{name: "negative memory", swap: 3000, memory: -5, wantErr: "invalid memory limit -5"},
		{name: "swap below memory", swap: 500, memory: 1000, wantErr: "memory.swap 500 < memory.limit 1000", belowMemError: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MemorySwapToV2(tc.swap, tc.memory)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				if tc.belowMemError {
					require.ErrorIs(t, err, ErrSwapBelowMemory)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func FuzzMemorySwapToV2(f *testing.F) {
	f.Add(int64(0), int64(0))
	f.Add(int64(-1), int64(100))
	f.Add(int64(200), int64(100))
	f.Add(int64(50), int64(100))
	f.Fuzz(func(t *testing.T, swap, memory int64) {
		got, err := MemorySwapToV2(swap, memory)
		if err != nil {
			return
		}
		// Whatever is accepted is a valid memory.swap.max: -1 (max) or
		// a non-negative byte count, and never more than the request.
		require.GreaterOrEqual(t, got, int64(-1))
		if swap > 0 && memory > 0 {
			require.Equal(t, swap-memory, got)
			require.GreaterOrEqual(t, swap, memory)
		}
	})
}

func TestBlkioWeightToIOWeight(t *testing.T) {
	for _, tc := range []struct {
		in   uint16
		want uint64
	}{{0, 0}, {5, 1}, {10, 1}, {100, 910}, {500, 4950}, {1000, 10000}} {
		require.Equal(t, tc.want, BlkioWeightToIOWeight(tc.in), "weight %d", tc.in)
	}
}

func TestCheckCPUList(t *testing.T) {
	for _, ok := range []string{"0", "0-3", "0-3,5", "1,3,5-7\n", "0-0"} {
		require.NoError(t, CheckCPUList(ok), ok)
	}
	for _, bad := range []string{"", "a", "0-", "-1", "3-1", "0,,1", "0-3-5", "1 2", "0x1"} {
		require.Error(t, CheckCPUList(bad), bad)
	}
}
