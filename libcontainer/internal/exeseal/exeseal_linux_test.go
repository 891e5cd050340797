package exeseal

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The sealed view must be executable-identical to the binary and refuse
// every attempt to open it for writing (the CVE-2019-5736 attack).
func TestSealedBinaryRefusesWrites(t *testing.T) {
	for name, open := range map[string]func() (*os.File, error){
		"overlayfs": func() (*os.File, error) {
			exe, err := os.Readlink("/proc/self/exe")
			if err != nil {
				return nil, err
			}
			return openOverlay(exe, t.TempDir())
		},
		"memfd": openMemfd,
	} {
		t.Run(name, func(t *testing.T) {
			f, err := open()
			if name == "overlayfs" && errors.Is(err, unix.EPERM) {
				t.Skip("overlayfs needs CAP_SYS_ADMIN: ", err)
			}
			require.NoError(t, err)
			defer f.Close()

			path := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
			// overlayfs refuses the open (EROFS); a sealed memfd opens but
			// refuses the write (EPERM). Either way no byte changes.
			if w, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
				_, err = w.Write([]byte("x"))
				w.Close()
				require.Error(t, err, "sealed binary must refuse writes")
			}

			var a, b unix.Stat_t
			require.NoError(t, unix.Stat(path, &a))
			require.NoError(t, unix.Stat("/proc/self/exe", &b))
			require.Equal(t, b.Size, a.Size)
		})
	}
}

// F_SEAL_WRITE is refused (EBUSY) while the memfd has a writable shared
// mapping, as it is while pages are briefly pinned after the copy:
// addSeals retries, succeeds once the pin is gone, and gives up within a
// bounded time when it never goes.
func TestAddSealsRetriesWhileBusy(t *testing.T) {
	busyMemfd := func() (int, []byte) {
		fd, err := unix.MemfdCreate("seal-test", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Ftruncate(fd, 4096); err != nil {
			t.Fatal(err)
		}
		m, err := unix.Mmap(fd, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			t.Fatal(err)
		}
		return fd, m
	}

	fd, m := busyMemfd()
	defer unix.Close(fd)
	time.AfterFunc(20*time.Millisecond, func() { _ = unix.Munmap(m) })
	if err := addSeals(uintptr(fd)); err != nil {
		t.Fatalf("seal after the mapping went: %v", err)
	}

	fd2, m2 := busyMemfd()
	defer unix.Close(fd2)
	defer unix.Munmap(m2)
	start := time.Now()
	err := addSeals(uintptr(fd2))
	if !errors.Is(err, unix.EBUSY) {
		t.Fatalf("seal of a memfd mapped writable throughout: %v, want EBUSY", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("gave up only after %s", d)
	}
}
