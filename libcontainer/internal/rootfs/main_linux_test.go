package rootfs

import (
	"os"
	"testing"
)

// helperEnv switches the test binary into the integration helper: it is
// re-executed in a new mount namespace and builds a container root there.
const helperEnv = "GOCONTAINER_ROOTFS_HELPER_BUNDLE"

func TestMain(m *testing.M) {
	if bundle := os.Getenv(helperEnv); bundle != "" {
		os.Exit(runHelper(bundle))
	}
	os.Exit(m.Run())
}
