package syscall

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// readFile uses os.ReadFile, which opens with O_CLOEXEC.
func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

var mountFlagNames = []struct {
	flag uintptr
	name string
}{
	{unix.MS_RDONLY, "MS_RDONLY"},
	{unix.MS_NOSUID, "MS_NOSUID"},
	{unix.MS_NODEV, "MS_NODEV"},
	{unix.MS_NOEXEC, "MS_NOEXEC"},
	{unix.MS_SYNCHRONOUS, "MS_SYNCHRONOUS"},
	{unix.MS_REMOUNT, "MS_REMOUNT"},
	{unix.MS_MANDLOCK, "MS_MANDLOCK"},
	{unix.MS_DIRSYNC, "MS_DIRSYNC"},
	{unix.MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"},
	{unix.MS_NOATIME, "MS_NOATIME"},
	{unix.MS_NODIRATIME, "MS_NODIRATIME"},
	{unix.MS_BIND, "MS_BIND"},
	{unix.MS_MOVE, "MS_MOVE"},
	{unix.MS_REC, "MS_REC"},
	{unix.MS_SILENT, "MS_SILENT"},
	{unix.MS_POSIXACL, "MS_POSIXACL"},
	{unix.MS_UNBINDABLE, "MS_UNBINDABLE"},
	{unix.MS_PRIVATE, "MS_PRIVATE"},
	{unix.MS_SLAVE, "MS_SLAVE"},
	{unix.MS_SHARED, "MS_SHARED"},
	{unix.MS_RELATIME, "MS_RELATIME"},
	{unix.MS_I_VERSION, "MS_I_VERSION"},
	{unix.MS_STRICTATIME, "MS_STRICTATIME"},
	{unix.MS_LAZYTIME, "MS_LAZYTIME"},
}

// MountFlagsString renders mount(2) flags symbolically ("MS_BIND|MS_REC"),
// "0" for none; unknown bits are appended in hex.
func MountFlagsString(flags uintptr) string {
	if flags == 0 {
		return "0"
	}
	var parts []string
	for _, f := range mountFlagNames {
		if flags&f.flag != 0 {
			parts = append(parts, f.name)
			flags &^= f.flag
		}
	}
	if flags != 0 {
		parts = append(parts, fmt.Sprintf("%#x", flags))
	}
	return strings.Join(parts, "|")
}

// FdPath is the magic-link path through which a mount(2) call can target the
// file an O_PATH fd refers to, whatever happens to its name afterwards
// (CVE-2021-30465). thread-self rather than self: the fd table is shared,
// but a thread-self path stays right when the caller's thread has its own
// fs/mount namespace state.
func FdPath(fd int) string { return fmt.Sprintf("/proc/thread-self/fd/%d", fd) }
