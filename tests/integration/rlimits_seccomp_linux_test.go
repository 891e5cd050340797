package integration

import (
	"fmt"
	"strconv"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// TestAddressSpaceLimitBelowTheInitsSizeWithSeccomp replays runtime-tools'
// process_rlimits config: RLIMIT_AS of 1 GiB, less than the address space a
// Go init with glibc reserves (about 1.4 GiB of mostly PROT_NONE
// reservations on this host), together with a seccomp profile. The init
// applies the limits before it loads the filter, so building the BPF
// program then must not need new memory: libseccomp, run out of memory
// there, crashed the init (SIGSEGV, "free(): invalid pointer") and create
// failed. The filter is installed in both places the init loads it.
func TestAddressSpaceLimitBelowTheInitsSizeWithSeccomp(t *testing.T) {
	r := newRuntime(t)
	const gib = 1 << 30
	for i, nnp := range []bool{false, true} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", nnp), func(t *testing.T) {
			spec := dockerSpec(t, nnp, "sh", "-c", "ulimit -Sv; ulimit -Hv; ulimit -Ss; grep -E '^Seccomp:' /proc/self/status")
			spec.Process.Rlimits = []specs.POSIXRlimit{
				{Type: "RLIMIT_AS", Hard: 2 * gib, Soft: 1 * gib},
				{Type: "RLIMIT_DATA", Hard: 6 * gib, Soft: 5 * gib},
				{Type: "RLIMIT_STACK", Hard: 10 * gib, Soft: 9 * gib},
			}
			b := newBundle(t, spec)
			id := "rlimitas" + strconv.Itoa(i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, 0, res.code, "%s", res)
			require.Equal(t, fmt.Sprintf("%d\n%d\n%d\nSeccomp:\t2\n", gib/1024, 2*gib/1024, 9*gib/1024), res.stdout, "%s", res)
		})
	}
}
