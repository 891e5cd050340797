// Package apparmor confines the container process with the AppArmor
// profile of process.apparmorProfile: the init asks the kernel to switch
// to the profile at its next execve ("exec <profile>" written to the
// thread's attr/apparmor/exec), so nothing of the runtime ever runs
// confined and the container process starts confined.
//
// The write goes through a verified procfs handle (internal/sysctl/procfs):
// a container that plants a fake /proc, or a mount over attr/exec, must
// not be able to make the write land elsewhere and the process start
// unconfined (CVE-2019-16884).
package apparmor

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcontainer/internal/sysctl/procfs"
)

// enabledPath says whether the kernel's AppArmor module is enabled ("Y").
const enabledPath = "/sys/module/apparmor/parameters/enabled"

// ErrNotEnabled is returned (wrapped) when a profile is requested on a
// host without AppArmor.
var ErrNotEnabled = errors.New("AppArmor is not enabled on this host")

// Opener opens a file of the calling thread's /proc/thread-self
// directory; *procfs.Handle is the real one, tests pass a fake.
type Opener interface {
	OpenThreadSelf(name string, flags int) (*os.File, error)
}

// Enabled reports whether the host runs AppArmor.
func Enabled() bool { return enabledAt(enabledPath) }

func enabledAt(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && len(b) > 0 && b[0] == 'Y'
}

// Check refuses a profile the host cannot apply, before anything is
// created: silently running a container unconfined would be worse than not
// running it. An empty profile asks for nothing.
func Check(profile string) error {
	return checkWith(profile, Enabled())
}

func checkWith(profile string, enabled bool) error {
	if profile == "" {
		return nil
	}
	if !enabled {
		return fmt.Errorf("process.apparmorProfile %q: %w", profile, ErrNotEnabled)
	}
	if strings.ContainsAny(profile, "\x00\n") {
		return fmt.Errorf("process.apparmorProfile %q: contains a NUL byte or a newline", profile)
	}
	return nil
}

// Apply makes the calling thread's next execve enter profile. Call it
// with the OS thread locked, as close to the execve as errors can still be
// reported. An empty profile does nothing.
func Apply(profile string) error {
	if profile == "" {
		return nil
	}
	h, err := procfs.Open()
	if err != nil {
		return fmt.Errorf("apparmor profile %q: %w", profile, err)
	}
	defer h.Close()
	return ApplyWith(h, profile)
}

// ApplyWith is Apply through a given opener. Kernels since 5.8 have the
// per-LSM attr/apparmor/exec (right even when another LSM is stacked);
// older ones only the shared attr/exec.
func ApplyWith(o Opener, profile string) error {
	if profile == "" {
		return nil
	}
	f, err := o.OpenThreadSelf("attr/apparmor/exec", unix.O_WRONLY)
	if errors.Is(err, os.ErrNotExist) {
		f, err = o.OpenThreadSelf("attr/exec", unix.O_WRONLY)
	}
	if err != nil {
		return fmt.Errorf("apparmor profile %q: %w", profile, err)
	}
	defer f.Close()
	if err := procfs.WriteFile(f, []byte("exec "+profile)); err != nil {
		return fmt.Errorf("apparmor profile %q: %w", profile, err)
	}
	return nil
}
