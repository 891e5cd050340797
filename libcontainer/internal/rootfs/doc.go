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
package rootfs
