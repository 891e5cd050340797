package libcgroups

import (
	"github.com/gocontainer/gocontainer/libcgroups/fs"
	"github.com/gocontainer/gocontainer/libcgroups/fs2"
)

// Compile-time checks that every manager implements Manager.
var (
	_ Manager = (*fs.Manager)(nil)
	_ Manager = (*fs2.Manager)(nil)
	_ Manager = (*hybridManager)(nil)
)
