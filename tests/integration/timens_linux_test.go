package integration

import (
	"os"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// uptimeSecs parses the first field of /proc/uptime.
func uptimeSecs(t *testing.T, s string) float64 {
	t.Helper()
	f := strings.Fields(s)
	require.NotEmpty(t, f, "uptime %q", s)
	v, err := strconv.ParseFloat(f[0], 64)
	require.NoError(t, err, "uptime %q", s)
	return v
}

// TestTimeNamespaceOffsetsAreSeenInside: linux.timeOffsets of a new time
// namespace are what /proc/self/timens_offsets shows inside, and the
// boottime offset moves /proc/uptime (CLOCK_BOOTTIME) by exactly that much
// compared with the host, read just before and after.
func TestTimeNamespaceOffsetsAreSeenInside(t *testing.T) {
	r := newRuntime(t)
	if _, err := os.Stat("/proc/self/ns/time"); err != nil {
		t.Skipf("kernel without time namespaces (CONFIG_TIME_NS): %v", err)
	}
	const bootOff, monoOff = 10 * 86400, 3600
	spec := baseSpec("sh", "-c", "cat /proc/self/timens_offsets; cat /proc/uptime")
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.TimeNamespace})
	spec.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{
		"boottime":  {Secs: bootOff, Nanosecs: 500_000_000},
		"monotonic": {Secs: monoOff},
	}
	b := newBundle(t, spec)
	id := "timens"
	r.deleteOnCleanup(t, id)
	before, err := os.ReadFile("/proc/uptime")
	require.NoError(t, err)
	res := r.run(t, "run", "--bundle", b.dir, id)
	after, err := os.ReadFile("/proc/uptime")
	require.NoError(t, err)
	require.Equal(t, 0, res.code, "%s", res)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.Len(t, lines, 3, "%s", res)
	offsets := map[string][]string{}
	for _, l := range lines[:2] {
		f := strings.Fields(l)
		require.Len(t, f, 3, "timens_offsets line %q", l)
		offsets[f[0]] = f[1:]
	}
	require.Equal(t, map[string][]string{
		"monotonic": {strconv.Itoa(monoOff), "0"},
		"boottime":  {strconv.Itoa(bootOff), "500000000"},
	}, offsets, "%s", res)
	inside := uptimeSecs(t, lines[2])
	lo, hi := uptimeSecs(t, string(before))+bootOff+0.5, uptimeSecs(t, string(after))+bootOff+0.5
	require.True(t, inside >= lo-0.01 && inside <= hi+0.01,
		"uptime inside %.2f, want host uptime + %d.5s, between %.2f and %.2f", inside, bootOff, lo, hi)
}
