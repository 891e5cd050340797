package libcontainer

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrUnsupported marks a config feature this runtime cannot honour (yet,
// or on this host). Such a config is refused: silently running a container
// without, say, its AppArmor profile would be worse than not running it.
var ErrUnsupported = errors.New("not supported")

// checkSupported refuses the config features that are valid but not
// implemented, naming the field; the process features come with the
// hardening issue (issue 4 in the tracker).
func checkSupported(s *specs.Spec, log *slog.Logger) error {
	if p := s.Process; p != nil {
		if p.ApparmorProfile != "" {
			if !apparmorEnabled() {
				return fmt.Errorf("process.apparmorProfile %q: AppArmor is not enabled on this host: %w", p.ApparmorProfile, ErrUnsupported)
			}
			return fmt.Errorf("process.apparmorProfile: AppArmor profiles are %w yet", ErrUnsupported)
		}
		if p.SelinuxLabel != "" && selinuxEnabled() {
			return fmt.Errorf("process.selinuxLabel: SELinux labels are %w yet", ErrUnsupported)
		}
	}
	if err := checkIDMapMounts(s); err != nil {
		return err
	}
	l := s.Linux
	if l == nil {
		return nil
	}
	switch {
	case l.MountLabel != "" && selinuxEnabled():
		return fmt.Errorf("linux.mountLabel: SELinux labels are %w yet", ErrUnsupported)
	case l.IntelRdt != nil:
		return fmt.Errorf("linux.intelRdt: %w yet", ErrUnsupported)
	}
	// Without SELinux a label means nothing to the kernel; runc and crun
	// ignore it the same way.
	if (s.Process != nil && s.Process.SelinuxLabel != "") || l.MountLabel != "" {
		log.Debug("SELinux is not enabled on this host: labels ignored")
	}
	return nil
}

func apparmorEnabled() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && len(b) > 0 && b[0] == 'Y'
}

func selinuxEnabled() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}
