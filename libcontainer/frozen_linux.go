package libcontainer

import (
	"fmt"

	"github.com/gocontainer/gocontainer/libcgroups"
)

// refuseFrozen fails on a cgroup that exists and is frozen: a process
// moved into it stops at once, so the init would never answer and create
// would wait forever on a task the user cannot kill (runc refuses such a
// cgroup as well). The cgroup is the user's: it is left as it is.
func refuseFrozen(cg libcgroups.Manager, path string) error {
	// No Exists check: on a v1 host the freezer hierarchy alone may hold
	// the cgroup. A freezer state that cannot be read is a cgroup that
	// does not exist yet.
	if st, err := cg.FreezerState(); err == nil && st == libcgroups.Frozen {
		return fmt.Errorf("cgroup %s is frozen: thaw it or choose another linux.cgroupsPath", path)
	}
	return nil
}
