package capabilities

import (
	"errors"
	"fmt"
	"slices"

	"github.com/moby/sys/capability"
	"golang.org/x/sys/unix"
)

// ApplyBounding drops from the calling thread's bounding set every
// capability that is not in c.Bounding. Dropping needs CAP_SETPCAP in the
// effective set, so it must run before the init changes its uid. A
// capability already absent from the bounding set is skipped, so a process
// without CAP_SETPCAP can "apply" a bounding set it already has.
func (c *Caps) ApplyBounding() error {
	for cp := capability.Cap(0); cp <= c.last; cp++ {
		if slices.Contains(c.Bounding, cp) {
			continue
		}
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(cp), 0, 0, 0)
		if err != nil {
			if errors.Is(err, unix.EINVAL) {
				// Not supported by this kernel after all: nothing to drop.
				continue
			}
			return fmt.Errorf("read bounding capability %s: %w", Name(cp), err)
		}
		if in == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(cp), 0, 0, 0); err != nil {
			return fmt.Errorf("drop bounding capability %s: %w", Name(cp), err)
		}
	}
	return nil
}

// SetKeepCaps sets PR_SET_KEEPCAPS on the calling thread, so that a
// following setuid from 0 to a non-zero uid keeps the permitted set
// (capabilities(7)). [Caps.ApplyAfterSetuid] clears it again.
func SetKeepCaps() error {
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl PR_SET_KEEPCAPS 1: %w", err)
	}
	return nil
}

// ApplyAfterSetuid clears PR_SET_KEEPCAPS, sets the effective, permitted
// and inheritable sets of the calling thread with capset(2), then clears
// the ambient set and raises each capability of c.RaisableAmbient(). The
// kernel refuses an ambient capability that is not also permitted and
// inheritable; such capabilities are skipped, as runc and crun do (the
// default spec of runc 1.1 asks for ambient caps without inheritable ones),
// and the caller warns about [Caps.UnraisableAmbient].
func (c *Caps) ApplyAfterSetuid() error {
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl PR_SET_KEEPCAPS 0: %w", err)
	}
	// pid 0 is the calling thread.
	st, err := capability.NewPid2(0)
	if err != nil {
		return fmt.Errorf("capabilities of the current thread: %w", err)
	}
	st.Clear(capability.CAPS | capability.AMBIENT | capability.BOUNDING)
	st.Set(capability.EFFECTIVE, c.Effective...)
	st.Set(capability.PERMITTED, c.Permitted...)
	st.Set(capability.INHERITABLE, c.Inheritable...)
	if err := st.Apply(capability.CAPS); err != nil {
		return fmt.Errorf("capset effective=%#x permitted=%#x inheritable=%#x: %w",
			Mask(c.Effective), Mask(c.Permitted), Mask(c.Inheritable), err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	for _, cp := range c.RaisableAmbient() {
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(cp), 0, 0); err != nil {
			return fmt.Errorf("raise ambient capability %s: %w", Name(cp), err)
		}
	}
	return nil
}

// RaisableAmbient is the part of c.Ambient the kernel can raise: the
// capabilities that are also permitted and inheritable (capabilities(7)).
func (c *Caps) RaisableAmbient() []capability.Cap {
	var out []capability.Cap
	for _, cp := range c.Ambient {
		if slices.Contains(c.Permitted, cp) && slices.Contains(c.Inheritable, cp) {
			out = append(out, cp)
		}
	}
	return out
}

// UnraisableAmbient names the ambient capabilities ApplyAfterSetuid skips.
func (c *Caps) UnraisableAmbient() []string {
	var out []string
	for _, cp := range c.Ambient {
		if !slices.Contains(c.RaisableAmbient(), cp) {
			out = append(out, Name(cp))
		}
	}
	return out
}
