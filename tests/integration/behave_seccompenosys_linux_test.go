package integration

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// rawSyscallSrc makes the raw syscall numbered by each argument (with
// arguments the kernel rejects cheaply) and prints nr=errno.
const rawSyscallSrc = `package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

func main() {
	for _, a := range os.Args[1:] {
		nr, _ := strconv.Atoi(a)
		_, _, e := syscall.RawSyscall6(uintptr(nr), ^uintptr(0), 0, 0, 0, 0, 0)
		fmt.Printf("%d=%d\n", nr, int(e))
	}
}
`

// TestSeccompSyscallUnknownToLibseccompIsENOSYS: under a profile whose
// default is EPERM, a syscall newer than the profile and than libseccomp
// (setxattrat, 463, Linux 6.13) gets ENOSYS, as under runc's stub, so C
// libraries fall back to the older call.
func TestSeccompSyscallUnknownToLibseccompIsENOSYS(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("/bin/rawsyscall", "463", "467")
	spec.Linux.Seccomp = oldProfile(t, "rseq")
	b := newBundle(t, spec)
	buildStaticGo(t, b.rootfs, "rawsyscall", rawSyscallSrc)
	id := "enosys-unknown"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "%s", res)
	require.Equal(t, "463=38\n467=38\n", res.stdout, "ENOSYS (38), not EPERM (1)\n%s", res)
}
