package sysctl

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckKey(t *testing.T) {
	tests := []struct {
		key  string
		want string
	}{
		{"net.ipv4.ip_forward", ""},
		{"kernel.shm_rmid_forced", ""},
		{"fs.mqueue.msg_max", ""},
		{"", "sysctl key must not be empty"},
		{"net/ipv4/ip_forward", `sysctl key "net/ipv4/ip_forward" must not contain "/" or NUL`},
		{"../../etc/passwd", `sysctl key "../../etc/passwd" must not contain "/" or NUL`},
		{"kernel..hostname", `sysctl key "kernel..hostname" has an empty component`},
		{"..", `sysctl key ".." has an empty component`},
		{".kernel.hostname", `sysctl key ".kernel.hostname" has an empty component`},
		{"kernel.hostname.", `sysctl key "kernel.hostname." has an empty component`},
		{"kernel.host\x00name", `sysctl key "kernel.host\x00name" must not contain "/" or NUL`},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			err := CheckKey(tc.key)
			if tc.want == "" {
				require.NoError(t, err)
			} else {
				require.EqualError(t, err, tc.want)
			}
		})
	}
	require.Equal(t, "sys/net/ipv4/ip_forward", procPath("net.ipv4.ip_forward"))
}
