package fs2

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIsHugePageSizeMatchesTheKernelsNames(t *testing.T) {
	for s, want := range map[string]bool{
		"2MB": true, "1GB": true, "64KB": true, "16384KB": true, "512MB": true,
		"": false, "B": false, "MB": false, "0MB": false, "02MB": false, "2M": false,
		"2mb": false, "2TB": false, "2 MB": false, "2MBB": false, "x2MB": false, "2.5MB": false,
	} {
		require.Equal(t, want, isHugePageSize(s), "%q", s)
	}
}
