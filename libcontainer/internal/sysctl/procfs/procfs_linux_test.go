package procfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const childEnv = "GOCONTAINER_PROCFS_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "overmount" {
		if err := overmountChild(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// overmountChild runs in new mount and UTS namespaces. It binds the
// procfs file kernel/ostype over kernel/domainname, the shape of
// CVE-2025-52881, then shows what each kind of handle does with a write
// to kernel/domainname.
func overmountChild() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	if err := unix.Mount("/proc/sys/kernel/ostype", "/proc/sys/kernel/domainname", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind over domainname: %w", err)
	}
	fd, err := openPlain()
	if err != nil {
		return err
	}
	plain, err := newHandle(fd, KindPlain)
	if err != nil {
		return err
	}
	_, err = plain.OpenFile("sys/kernel/domainname", unix.O_WRONLY)
	fmt.Printf("plain: %v\n", err)
	fmt.Printf("plain crosses mount: %v\n", errors.Is(err, ErrCrossesMount))
	plain.legacy = true // as on a kernel without openat2
	_, err = plain.OpenFile("sys/kernel/domainname", unix.O_WRONLY)
	fmt.Printf("legacy: %v\n", err)
	fmt.Printf("legacy crosses mount: %v\n", errors.Is(err, ErrCrossesMount))
	f, err := plain.OpenFile("sys/kernel/hostname", unix.O_WRONLY)
	if err != nil {
		return fmt.Errorf("legacy open of a file that is not overmounted: %w", err)
	}
	f.Close()

	h, err := Open()
	if err != nil {
		return err
	}
	f, err = h.OpenFile("sys/kernel/domainname", unix.O_WRONLY)
	if err != nil {
		return err
	}
	if err := WriteFile(f, []byte("procfs-test.example")); err != nil {
		return err
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return err
	}
	fmt.Printf("%s domainname: %s\n", h.Kind(), unix.ByteSliceToString(uts.Domainname[:]))
	return nil
}

func TestOpenGivesAVerifiedProcfsRoot(t *testing.T) {
	h, err := Open()
	require.NoError(t, err)
	defer h.Close()
	if os.Geteuid() == 0 {
		require.Equal(t, KindFsopen, h.Kind(), "root on a 5.2+ kernel gets a private procfs instance")
	}
	f, err := h.OpenFile("sys/kernel/ostype", unix.O_RDONLY)
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	require.Equal(t, "Linux\n", string(b))
	require.Equal(t, "/proc/sys/kernel/ostype", f.Name())
}

func TestOpenSelfFindsTheCallingProcess(t *testing.T) {
	h, err := Open()
	require.NoError(t, err)
	defer h.Close()
	f, err := h.OpenSelf("status", unix.O_RDONLY)
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	require.Contains(t, string(b), fmt.Sprintf("\nPid:\t%d\n", os.Getpid()))
}

func TestOpenFileRefusesSymlinksAndDotDot(t *testing.T) {
	h, err := Open()
	require.NoError(t, err)
	defer h.Close()
	tests := []struct {
		name string
		want string
	}{
		{"self/status", "open /proc/self/status: not a directory (a symlink or not a directory: refused)"},
		{"sys/../self", `open /proc/sys/../self: invalid path component ".."`},
		{"sys//kernel", `open /proc/sys//kernel: invalid path component ""`},
		{"/sys/kernel/ostype", `open /proc//sys/kernel/ostype: invalid path component ""`},
		{"sys/kernel/nope", "open /proc/sys/kernel/nope: no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.OpenFile(tc.name, unix.O_RDONLY)
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestNewHandleRefusesWhatIsNotTheProcfsRoot(t *testing.T) {
	fd, err := unix.Open(t.TempDir(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	_, err = newHandle(fd, KindPlain)
	require.ErrorIs(t, err, ErrNotProcfs)
	require.Contains(t, err.Error(), "verify /proc (plain): not on procfs (filesystem magic")

	fd, err = unix.Open("/proc/sys", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	_, err = newHandle(fd, KindPlain)
	require.ErrorContains(t, err, "is not the procfs root")
}

func TestOvermountCannotRedirectAWrite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for mount and UTS namespaces")
	}
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=overmount")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 5, string(out))
	require.Equal(t, "plain: open /proc/sys/kernel/domainname: crosses a mount (EXDEV)", lines[0])
	require.Equal(t, "plain crosses mount: true", lines[1])
	require.Regexp(t, `^legacy: open /proc/sys/kernel/domainname: crosses a mount: on mount \d+, not the procfs mount \d+$`, lines[2])
	require.Equal(t, "legacy crosses mount: true", lines[3])
	require.Equal(t, "fsopen domainname: procfs-test.example", lines[4])
}
