package capabilities

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/moby/sys/capability"
	"golang.org/x/sys/unix"
)

// dropUngrantable removes from c every capability the calling thread
// cannot hand on, and returns their names. runtime-spec (config.md, Linux
// process, since v1.1): a capability that "cannot be granted otherwise
// MUST be logged as a warning by the runtime. Runtimes SHOULD NOT fail if
// the container configuration requests capabilities that cannot be
// granted, for example, if the runtime operates in a restricted
// environment with a limited set of capabilities" (a sandbox whose
// bounding set lacks CAP_SYS_RESOURCE, say). The kernel's rules
// (capabilities(7)) decide what is grantable: the bounding set can only
// shrink, inheritable capabilities must be in the bounding set, and the
// permitted, effective and ambient sets can only hold what the thread
// itself has permitted.
func (c *Caps) dropUngrantable(bounding, permitted uint64) []string {
	dropped := map[capability.Cap]bool{}
	keep := func(set []capability.Cap, have uint64) []capability.Cap {
		return slices.DeleteFunc(set, func(cp capability.Cap) bool {
			if have&(1<<uint(cp)) == 0 {
				dropped[cp] = true
				return true
			}
			return false
		})
	}
	c.Bounding = keep(c.Bounding, bounding)
	c.Inheritable = keep(c.Inheritable, bounding)
	c.Permitted = keep(c.Permitted, permitted)
	c.Effective = keep(c.Effective, permitted)
	c.Ambient = keep(c.Ambient, permitted)
	var names []string
	for cp := range dropped {
		names = append(names, Name(cp))
	}
	slices.Sort(names)
	return names
}

// restrictToGrantable is dropUngrantable with the calling thread's own
// bounding and permitted sets, logging what it drops. It asks the kernel
// (capget, PR_CAPBSET_READ), not /proc: the init runs it after the switch
// of root, and the container may have no /proc mounted.
func (c *Caps) restrictToGrantable(log *slog.Logger) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget of the current thread: %w", err)
	}
	permitted := uint64(data[0].Permitted) | uint64(data[1].Permitted)<<32
	var bounding uint64
	for cp := capability.Cap(0); cp <= c.last; cp++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(cp), 0, 0, 0)
		if err != nil {
			return fmt.Errorf("read bounding capability %s: %w", Name(cp), err)
		}
		if in == 1 {
			bounding |= 1 << uint(cp)
		}
	}
	if dropped := c.dropUngrantable(bounding, permitted); len(dropped) > 0 {
		c.Ungrantable = dropped
		log.Warn("capabilities the runtime does not have cannot be granted; left out",
			slog.Any("capabilities", dropped))
	}
	return nil
}
