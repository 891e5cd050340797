package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseNodes(t *testing.T) {
	m, err := parseNodes("0-2,4")
	require.NoError(t, err)
	require.Equal(t, uint64(0b10111), m[0])
	m, err = parseNodes("65")
	require.NoError(t, err)
	require.Equal(t, uint64(2), m[1])
	_, err = parseNodes("x")
	require.Error(t, err)
	_, err = parseNodes("5000")
	require.ErrorContains(t, err, "out of range")
}

func TestCapMask(t *testing.T) {
	m, err := capMask([]string{"CAP_CHOWN", "CAP_KILL", "CAP_CHECKPOINT_RESTORE"})
	require.NoError(t, err)
	require.Equal(t, uint64(1|1<<5|1<<40), m)
	require.Equal(t, "[CAP_CHOWN CAP_KILL CAP_CHECKPOINT_RESTORE]", capString(m))
	_, err = capMask([]string{"CAP_TEST"})
	require.ErrorContains(t, err, "CAP_TEST")
}

func TestUnescapeMount(t *testing.T) {
	require.Equal(t, "/a b\tc", unescapeMount(`/a\040b\011c`))
	require.Equal(t, "/plain", unescapeMount("/plain"))
}
