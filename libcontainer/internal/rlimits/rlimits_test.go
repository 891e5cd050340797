package rlimits

import (
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestResourceMatchesTheKernelNumbers(t *testing.T) {
	want := map[string]int{
		"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_DATA": unix.RLIMIT_DATA,
		"RLIMIT_STACK": unix.RLIMIT_STACK, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_RSS": unix.RLIMIT_RSS,
		"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK,
		"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
		"RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE, "RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO,
		"RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
	}
	require.Len(t, Names(), len(want))
	for n, v := range want {
		got, err := Resource(n)
		require.NoError(t, err, n)
		require.Equal(t, v, got, n)
		require.Equal(t, n, Name(v))
	}
}

func TestResourceRejectsUnknownNames(t *testing.T) {
	for _, n := range []string{"", "NOFILE", "rlimit_nofile", "RLIMIT_FOO"} {
		_, err := Resource(n)
		require.EqualError(t, err, `unknown rlimit type "`+n+`"`)
	}
	require.Equal(t, "RLIMIT_99", Name(99))
}
