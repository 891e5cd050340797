package user

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHomeFromPasswd(t *testing.T) {
	const passwd = `# comment
root:x:0:0:root:/root:/bin/bash
+nisuser
broken:line
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
nohome:x:7:7:no home::/bin/sh
dup:x:1000:1000::/home/first:/bin/sh
dup2:x:1000:1000::/home/second:/bin/sh
short:x:2000:2000::/home/short
`
	tests := []struct {
		uid  uint32
		want string
	}{
		{0, "/root"},
		{1, "/usr/sbin"},
		{7, ""},
		{1000, "/home/first"},
		{2000, "/home/short"},
		{4242, ""},
	}
	for _, tc := range tests {
		got, err := homeFromPasswd(strings.NewReader(passwd), tc.uid)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "uid %d", tc.uid)
	}
}
