package libcontainer

import (
	"errors"
	"log/slog"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrUnsupported marks a config feature this runtime cannot honour (yet,
// or on this host). Such a config is refused: silently running a container
// without, say, its AppArmor profile would be worse than not running it.
// It also matches the standard errors.ErrUnsupported.
var ErrUnsupported error = &classed{"not supported", errors.ErrUnsupported}

// checkSupported refuses, before anything is created, the config features
// this host cannot honour, naming the field: an AppArmor profile without
// AppArmor, linux.intelRdt without resctrl (or with a schema the host's
// resctrl lacks), idmapped mounts against runtime-spec's rules. SELinux
// labels without SELinux are ignored (see checkLSM).
func checkSupported(s *specs.Spec, log *slog.Logger) error {
	if err := checkLSM(s, log); err != nil {
		return err
	}
	if err := checkIDMapMounts(s); err != nil {
		return err
	}
	return checkIntelRdt(s.Linux)
}
