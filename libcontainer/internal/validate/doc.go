// Package validate checks a container id and an OCI runtime config
// (config.json) for everything a runtime must refuse before it touches
// the system, and loads config.json from a bundle.
//
// Every error is one line that starts with the JSON path of the offending
// field, e.g.
//
//	linux.namespaces[2].type: unknown namespace type "foo"
//	process.capabilities.bounding: unknown capability "CAP_FOO"
//	root.path: /b/rootfs: no such file or directory
//
// and can be taken apart with errors.As into a *FieldError. [Spec]
// returns the first problem it finds, checking fields in the order of
// runtime-spec's config.md.
//
// Decisions where runtime-spec or runc leave room, and why:
//   - A relative mounts[i].destination is accepted with a warning and
//     means "relative to /": runtime-spec 1.3 says it MAY be relative for
//     compatibility (deprecated), and runc warns too.
//   - A new user namespace needs both linux.uidMappings and
//     linux.gidMappings (runc accepts either, and then fails later in the
//     init on setresgid); joining one by path needs none.
//   - Sysctls follow runc: IPC ones (kernel.msg*, kernel.sem, kernel.shm*,
//     fs.mqueue.*) need an ipc namespace, net.* a network namespace that is
//     not the runtime's own, kernel.domainname a uts namespace, and
//     kernel.hostname is refused in favour of the hostname field; all
//     others are not namespaced and refused. Keys may use sysctl(8)'s
//     slash form.
//   - linux.timeOffsets need a new time namespace: offsets cannot be
//     applied to a namespace joined by path (its clocks are already set).
//   - process.user ids of 4294967295 are refused: setresuid(2) reads -1 as
//     "leave unchanged", which would keep the runtime's root identity.
package validate
