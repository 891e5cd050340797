package libseccomp

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersionIsTheLoadedLibrary(t *testing.T) {
	v := Version()
	require.Regexp(t, regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`), v)
	require.NotEqual(t, "0.0.0", v, "libseccomp must be linked")
}
