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
		{"net/ipv4/ip_forward", ""},
		{"net.ipv4.conf.eth0/100.forwarding", ""},
		{"", "sysctl key must not be empty"},
		{"../../etc/passwd", `sysctl key "../../etc/passwd" has an invalid component ""`},
		{"net/../../etc", `sysctl key "net/../../etc" has an invalid component ".."`},
		{"net/./x", `sysctl key "net/./x" has an invalid component "."`},
		{"net.//.x", `sysctl key "net.//.x" has an invalid component ".."`},
		{"net./.x", `sysctl key "net./.x" has an invalid component "."`},
		{"kernel..hostname", `sysctl key "kernel..hostname" has an invalid component ""`},
		{"..", `sysctl key ".." has an invalid component ""`},
		{".kernel.hostname", `sysctl key ".kernel.hostname" has an invalid component ""`},
		{"kernel.hostname.", `sysctl key "kernel.hostname." has an invalid component ""`},
		{"kernel.host\x00name", `sysctl key "kernel.host\x00name" must not contain NUL`},
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
	for key, want := range map[string]string{
		"net.ipv4.ip_forward":               "sys/net/ipv4/ip_forward",
		"net/ipv4/ip_forward":               "sys/net/ipv4/ip_forward",
		"net/ipv4/conf/eth0.100/forwarding": "sys/net/ipv4/conf/eth0.100/forwarding",
		"net.ipv4.conf.eth0/100.forwarding": "sys/net/ipv4/conf/eth0.100/forwarding",
	} {
		dot, err := Normalize(key)
		require.NoError(t, err)
		require.Equal(t, want, procPath(dot), key)
	}
}
