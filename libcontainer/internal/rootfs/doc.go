// Package rootfs builds a container's root filesystem inside the container
// init's new mount namespace: root propagation, the OCI mounts, /dev, the
// switch of root (pivot_root, MS_MOVE+chroot or chroot), and the final
// read-only/masked paths.
//
// Every mount destination is resolved inside the rootfs through an O_PATH
// handle (filepath-securejoin's pathrs-lite) and the mount targets that
// handle's /proc/thread-self/fd/N magic link, so a symlink in the rootfs can
// never redirect a mount onto the host (CVE-2021-30465, CVE-2024-45310).
//
// All kernel calls with side effects go through libcontainer/syscall.Syscall
// so the mount plan is unit tested against the recording fake.
//
// The container init calls, in its new mount namespace with its OS thread
// locked and its cgroups already joined (the v1 cgroup binds read
// /proc/self/cgroup):
//
//	Prepare   propagation, rootfs bind, spec mounts, /dev devices and links
//	          (createRuntime/createContainer hooks run after this)
//	Pivot     pivot_root / MS_MOVE+chroot / chroot; cwd is "/" afterwards
//	ReopenDevNull (optional) stdio that was the host's /dev/null
//	          then /dev/console, sysctls, hostname: /dev and /proc/sys may be
//	          read-only after Finalize
//	Finalize  ro remounts of tmpfs and /dev, readonly and masked paths,
//	          read-only "/", linux.rootfsPropagation
package rootfs
