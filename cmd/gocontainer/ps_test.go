package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFilterPsKeepsHeaderAndContainerPids(t *testing.T) {
	out := []byte("UID          PID    PPID  C STIME TTY          TIME CMD\n" +
		"root           1       0  0 17:27 ?        00:00:30 /sbin/init\n" +
		"root         812       1  0 17:30 ?        00:00:00 sleep 100\n" +
		"root         813     812  0 17:30 ?        00:00:00 sh\n")
	got, err := filterPs(out, []int{812, 813})
	require.NoError(t, err)
	require.Equal(t, "UID          PID    PPID  C STIME TTY          TIME CMD\n"+
		"root         812       1  0 17:30 ?        00:00:00 sleep 100\n"+
		"root         813     812  0 17:30 ?        00:00:00 sh\n", string(got))

	_, err = filterPs([]byte("USER COMMAND\nroot init\n"), []int{1})
	require.ErrorContains(t, err, "no PID column")
}
