package exeseal

import (
	"errors"
	"fmt"
	"os"
	"testing"

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
