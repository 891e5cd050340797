// Package exeseal gives the container init a copy of the runtime binary
// that nothing inside the container can write to.
//
// CVE-2019-5736: a container process could open the runtime binary through
// /proc/<init pid>/exe and overwrite it on the host. The init therefore runs
// from a read-only view of the binary: first choice is a detached, read-only
// overlayfs mount whose only layers are the binary's directory (zero-copy,
// and it cannot be remounted writable because nothing else references it);
// the fallback is a sealed memfd copy. Either way the binary is cloned once
// per container, never twice.
package exeseal

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Open returns an O_PATH handle to a sealed view of the running binary,
// suitable for execve through /proc/self/fd/N. spare must be an existing
// directory on the host (the container's state directory); it is used as
// the second overlay layer, which forces overlayfs into read-only,
// lower-only mode. method says which mechanism was used, for debug logs.
func Open(spare string) (f *os.File, method string, err error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return nil, "", fmt.Errorf("locate runtime binary: %w", err)
	}
	f, oerr := openOverlay(exe, spare)
	if oerr == nil {
		return f, "overlayfs", nil
	}
	f, merr := openMemfd()
	if merr != nil {
		return nil, "", fmt.Errorf("seal runtime binary: overlayfs: %v; memfd: %w", oerr, merr)
	}
	return f, "memfd", nil
}

func openOverlay(exe, spare string) (*os.File, error) {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("fsopen overlay", err)
	}
	defer unix.Close(fsfd)
	// "lowerdir+" (Linux 6.8) adds one layer per call, so directory names
	// containing ':' or ',' need no escaping; older kernels take the list.
	dir := filepath.Dir(exe)
	if err := unix.FsconfigSetString(fsfd, "lowerdir+", dir); err == nil {
		err = unix.FsconfigSetString(fsfd, "lowerdir+", spare)
		if err != nil {
			return nil, os.NewSyscallError("fsconfig lowerdir+", err)
		}
	} else if err := unix.FsconfigSetString(fsfd, "lowerdir", dir+":"+spare); err != nil {
		return nil, os.NewSyscallError("fsconfig lowerdir", err)
	}
	// xino would make overlayfs look at the upper layers' inode numbers;
	// there are none, and it can fail on some filesystems.
	_ = unix.FsconfigSetString(fsfd, "xino", "off")
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return nil, os.NewSyscallError("fsconfig create overlay", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOSUID)
	if err != nil {
		return nil, os.NewSyscallError("fsmount overlay", err)
	}
	defer unix.Close(mfd)
	fd, err := unix.Openat(mfd, filepath.Base(exe), unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "openat", Path: filepath.Base(exe), Err: err}
	}
	return os.NewFile(uintptr(fd), "sealed:"+exe), nil
}

func openMemfd() (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("gocontainer-exe", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, os.NewSyscallError("memfd_create", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:gocontainer-exe")
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("copy runtime binary to memfd: %w", err)
	}
	if err := addSeals(f.Fd()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// addSeals seals the memfd against any change. F_SEAL_WRITE fails with
// EBUSY while a page of the file still holds an extra reference (the
// kernel waits for such pins only briefly); the references the copy left
// (per-CPU page batches) go away on their own, so EBUSY is retried for a
// bounded time. Seen once in 1200 creates on a loaded machine
// (TestFaultKillAtRandomDelays, docs/reliability.md).
func addSeals(fd uintptr) error {
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	delay := time.Millisecond
	for i := 0; ; i++ {
		_, err := unix.FcntlInt(fd, unix.F_ADD_SEALS, seals)
		if err == nil {
			return nil
		}
		if err != unix.EBUSY || i == 6 { // about 130 ms in all
			return os.NewSyscallError("fcntl F_ADD_SEALS", err)
		}
		time.Sleep(delay)
		delay *= 2
	}
}
