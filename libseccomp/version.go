package libseccomp

import (
	"fmt"

	seccomp "github.com/seccomp/libseccomp-golang"
)

// Version is the version of the libseccomp the binary runs against, as
// "major.minor.micro".
func Version() string {
	major, minor, micro := seccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}
