// Package capabilities turns the OCI process.capabilities object into the
// five Linux capability sets and applies them to the calling thread in the
// order the container init needs (runc's finalizeNamespace order):
//
//  1. [Caps.ApplyBounding]: drop everything not in the bounding set. This
//     needs CAP_SETPCAP, so it runs while the init is still uid 0 with a full
//     effective set.
//  2. [SetKeepCaps]: PR_SET_KEEPCAPS, so that setuid away from 0 keeps the
//     permitted set (capabilities(7), "Effect of user ID changes").
//  3. The caller changes uid/gid (package user).
//  4. [Caps.ApplyAfterSetuid]: clear KEEPCAPS, capset the effective,
//     permitted and inheritable sets, then reset and raise the ambient set.
//
// Capability state is per thread on Linux. Every Apply function acts on the
// calling OS thread only, so the caller must hold runtime.LockOSThread from
// step 1 until it execs.
//
// Names are checked here, in one place, for both the runtime's config
// validation and the init: a name that no Linux kernel defines is an error;
// a name this build knows but the running kernel does not support (newer
// than the kernel) is ignored with a warning, as runc does.
package capabilities
