package integration

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// allCapNames names every capability of the running kernel.
func allCapNames(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	require.NoError(t, err)
	last, err := strconv.Atoi(strings.TrimSpace(string(data)))
	require.NoError(t, err)
	names := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
		"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
		"CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
		"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
		"CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
		"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"}
	require.Less(t, last, len(names), "kernel has capabilities newer than this list")
	return names[:last+1]
}

// TestCapabilitiesTheRuntimeCannotGrantAreLeftOutWithAWarning: a config
// asking for every capability (runtime-tools' process_capabilities,
// Docker's --privileged) in a sandbox whose bounding set lacks some (here
// CAP_SYS_RESOURCE) starts, as runtime-spec asks ("Runtimes SHOULD NOT
// fail if the container configuration requests capabilities that cannot
// be granted"), with every capability the runtime has and a warning
// naming the others. Without the sandbox limit the container simply gets
// all of them.
func TestCapabilitiesTheRuntimeCannotGrantAreLeftOutWithAWarning(t *testing.T) {
	r := newRuntime(t)
	all := allCapNames(t)
	status, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	host := statusLines(string(status))
	spec := baseSpec("sh", "-c", "grep -E '^Cap(Prm|Eff|Bnd|Amb|Inh):' /proc/self/status")
	spec.Process.Capabilities = &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all, Inheritable: all, Ambient: all}
	b := newBundle(t, spec)
	id := "allcaps"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "%s", res)
	got := statusLines(res.stdout)
	grantable := host["CapBnd"]
	for _, set := range []string{"CapBnd", "CapPrm", "CapEff", "CapInh", "CapAmb"} {
		require.Equal(t, grantable, got[set], "%s: the runtime's own bounding set\n%s", set, res)
	}
	if host["CapBnd"] == fmt.Sprintf("%016x", uint64(1)<<len(all)-1) {
		t.Log("the runtime has every capability here: nothing to leave out")
		return
	}
	require.Contains(t, res.stderr, "cannot be granted", "a warning names what was left out\n%s", res)
}

// TestContainerWithoutProcStarts: the init works out what it may grant
// from the kernel, not from /proc, which a container need not mount
// (runtime-tools' linux_ns_itype has no /proc mount).
func TestContainerWithoutProcStarts(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("sh", "-c", "test -e /proc/self/status && echo proc || echo no-proc")
	spec.Mounts = spec.Mounts[1:] // the /dev tmpfs only
	b := newBundle(t, spec)
	id := "noproc"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "%s", res)
	require.Equal(t, "no-proc\n", res.stdout, "%s", res)
}
