// Package procfs gives the container init a verified handle on procfs for
// the writes that security depends on (sysctls, oom_score_adj, and any
// other /proc/... file the init must not be tricked into writing
// elsewhere).
//
// Attacks it answers: a container image or a shared volume can put a
// symlink, a bind mount or a whole fake filesystem where /proc/sys/... or
// /proc/self/... is expected, so that the runtime's write lands in a
// harmless file or, worse, a host file (CVE-2019-16884, CVE-2025-52881).
// The handle therefore:
//
//   - is a private procfs instance when the kernel allows it
//     (fsopen("proc") + fsmount, detached, no overmounts possible), else a
//     detached clone of the /proc mount (open_tree OPEN_TREE_CLONE, which
//     leaves every submount behind), else a plain open of /proc;
//   - is verified to be the root of a procfs (statfs magic
//     PROC_SUPER_MAGIC, inode 1);
//   - is walked one component at a time with openat(O_NOFOLLOW), and every
//     file it opens, directory or leaf, must be on procfs and on the same
//     mount as the root (statx STATX_MNT_ID), so neither a symlink nor a
//     mount (even a procfs bind of another /proc file) can redirect it.
package procfs
