package libcontainer

import (
	"errors"
	"fmt"
	"log/slog"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/libcontainer/internal/apparmor"
	"github.com/gocontainer/gocontainer/libcontainer/internal/selinux"
	"github.com/gocontainer/gocontainer/libcontainer/internal/sysctl/procfs"
)

// checkLSM refuses, before anything is created, the LSM settings this
// host cannot honour: an AppArmor profile without AppArmor, or an SELinux
// label without SELinux (running the container unconfined or unlabelled
// would be worse than not running it; runc and crun ignore labels there,
// which hides a config meant for another host), or a malformed SELinux
// label on an SELinux host.
func checkLSM(s *specs.Spec, log *slog.Logger) error {
	var label, mountLabel string
	if p := s.Process; p != nil {
		if err := apparmor.Check(p.ApparmorProfile); err != nil {
			return apparmorRefused(err)
		}
		label = p.SelinuxLabel
	}
	if s.Linux != nil {
		mountLabel = s.Linux.MountLabel
	}
	if label == "" && mountLabel == "" {
		return nil
	}
	if !selinux.Enabled() {
		field, value := "process.selinuxLabel", label
		if label == "" {
			field, value = "linux.mountLabel", mountLabel
		}
		return fmt.Errorf("%s %q: SELinux is not enabled on this host: %w", field, value, ErrUnsupported)
	}
	if err := selinux.CheckLabel("process.selinuxLabel", label); err != nil {
		return err
	}
	return selinux.CheckLabel("linux.mountLabel", mountLabel)
}

// applyProcessLSM arms the AppArmor profile and the SELinux label of
// process p for the calling thread's next execve: the container process
// starts confined, and nothing of the runtime ever runs so. The init calls
// it (and exec's init must call it the same way) with its OS thread
// locked, after its last use of anything a profile could deny and as the
// last step that can still report a failure to the runtime.
func applyProcessLSM(p *specs.Process, log *slog.Logger) error {
	if p == nil {
		return nil
	}
	profile := p.ApparmorProfile
	label := p.SelinuxLabel
	if label != "" && !selinux.Enabled() {
		return fmt.Errorf("process.selinuxLabel %q: SELinux is not enabled on this host: %w", label, ErrUnsupported)
	}
	if profile == "" && label == "" {
		return nil
	}
	// exec checks here, create already did in checkLSM.
	if err := apparmor.Check(profile); err != nil {
		return apparmorRefused(err)
	}
	h, err := procfs.Open()
	if err != nil {
		return fmt.Errorf("process LSM labels: %w", err)
	}
	defer h.Close()
	if profile != "" {
		log.Debug("apply AppArmor profile at exec", slog.String("profile", profile))
		if err := apparmor.ApplyWith(h, profile); err != nil {
			return err
		}
	}
	if label != "" {
		log.Debug("apply SELinux label at exec", slog.String("label", label))
		if err := selinux.SetExecLabelWith(h, label); err != nil {
			return err
		}
	}
	return nil
}

// setKeyringLabel labels the session keyring the init is about to create
// with process.selinuxLabel (runc does the same); the returned function
// restores the default for any later keyring. Nothing happens without
// SELinux or a label.
func setKeyringLabel(p *specs.Process, log *slog.Logger) (reset func(), err error) {
	if p == nil || p.SelinuxLabel == "" || !selinux.Enabled() {
		return func() {}, nil
	}
	if err := selinux.SetKeyLabel(p.SelinuxLabel); err != nil {
		return nil, err
	}
	return func() {
		if err := selinux.SetKeyLabel(""); err != nil {
			log.Warn("reset the SELinux keyring label", slog.Any("error", err))
		}
	}, nil
}

// mountLabel is linux.mountLabel for rootfs.Options, "" without SELinux.
func mountLabel(s *specs.Spec) string {
	if s.Linux == nil || s.Linux.MountLabel == "" || !selinux.Enabled() {
		return ""
	}
	return s.Linux.MountLabel
}

// apparmorRefused classes an apparmor.Check error: a host without
// AppArmor lacks a feature, a malformed profile name is a bad field.
func apparmorRefused(err error) error {
	if errors.Is(err, apparmor.ErrNotEnabled) {
		return fmt.Errorf("%w: %w", err, ErrUnsupported)
	}
	return mark(err, ErrInvalidConfig)
}
