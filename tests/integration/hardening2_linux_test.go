package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestHardeningStateDirIsPrivateAndTheInitHoldsTheFifoOnlyAsOPath
// (CVE-2016-9962): the state root is 0700 and a container's directory 0711,
// so no other host user can list them; the created init, which runs inside
// the container, holds the exec fifo only as an O_PATH handle (it reopens
// it write-only through procfs when it is time to start), never an open
// file or a handle on the state directory a container process could use.
func TestHardeningStateDirIsPrivateAndTheInitHoldsTheFifoOnlyAsOPath(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, baseSpec("sleep", "100"))
	id := "hstate"
	r.deleteOnCleanup(t, id)
	r.ok(t, "create", "--bundle", b.dir, id)
	pid := r.waitStatus(t, id, "created").Pid

	for path, want := range map[string]os.FileMode{r.root: 0o700, filepath.Join(r.root, id): 0o711} {
		st, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, want, st.Mode().Perm(), "mode of %s", path)
	}

	fdDir := filepathJoinProc(pid, "fd")
	ents, err := os.ReadDir(fdDir)
	require.NoError(t, err)
	stateDir := filepath.Join(r.root, id)
	var fifoFlags []string
	for _, e := range ents {
		link, err := os.Readlink(filepath.Join(fdDir, e.Name()))
		if err != nil {
			continue
		}
		require.NotEqual(t, stateDir, link, "the created init holds fd %s on its state directory", e.Name())
		if !strings.HasPrefix(link, stateDir+"/") {
			continue
		}
		info := readFile(t, filepathJoinProc(pid, "fdinfo/"+e.Name()))
		var flags string
		for _, l := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(l, "flags:"); ok {
				flags = strings.TrimSpace(v)
			}
		}
		f, err := strconv.ParseUint(flags, 8, 64)
		require.NoError(t, err, "fdinfo of fd %s: %s", e.Name(), info)
		require.NotZero(t, f&unix.O_PATH, "fd %s -> %s is open without O_PATH (flags %s)", e.Name(), link, flags)
		require.Equal(t, filepath.Join(stateDir, "exec.fifo"), link, "the only state file the init may hold is the exec fifo")
		fifoFlags = append(fifoFlags, flags)
	}
	require.Len(t, fifoFlags, 1, "the created init should hold exactly one O_PATH handle on exec.fifo")

	r.ok(t, "start", id)
	r.waitStatus(t, id, "running")
}

// setuidProbeSrc prints the effective uid it runs with.
const setuidProbeSrc = `package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("euid=%d\n", os.Geteuid()) }
`

// TestHardeningNoNewPrivilegesStopsASetuidBinary: a setuid-root program in
// the image, run by the container's uid 1000, becomes root without
// no_new_privileges (which shows the attack works here) and stays uid 1000
// with it.
func TestHardeningNoNewPrivilegesStopsASetuidBinary(t *testing.T) {
	r := newRuntime(t)
	for _, nnp := range []bool{false, true} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", nnp), func(t *testing.T) {
			spec := baseSpec("/bin/suidprobe")
			spec.Process.User = specs.User{UID: 1000, GID: 1000}
			spec.Process.NoNewPrivileges = nnp
			b := newBundle(t, spec)
			require.NoError(t, os.Chmod(b.dir, 0o755))
			require.NoError(t, os.Chmod(filepath.Dir(b.dir), 0o755))
			buildStaticGo(t, b.rootfs, "suidprobe", setuidProbeSrc)
			probe := filepath.Join(b.rootfs, "bin", "suidprobe")
			require.NoError(t, os.Chown(probe, 0, 0))
			require.NoError(t, unix.Chmod(probe, 0o4755)) // os.Chmod wants os.ModeSetuid
			id := fmt.Sprintf("hsuid%v", nnp)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, 0, res.code, "%s", res)
			want := map[bool]string{false: "euid=0\n", true: "euid=1000\n"}[nnp]
			require.Equal(t, want, res.stdout, "%s", res)
		})
	}
}

// TestHardeningDevSymlinkToAHostDirectoryStaysInTheRootfs (CVE-2026-41579,
// CVE-2024-45310 family): an image whose /dev is a symlink to an absolute
// host path. The device nodes, /dev/ptmx and the /dev symlinks (and a
// /dev tmpfs mount, when the spec has one) must all land inside the
// rootfs: the host directory stays empty, whether the runtime refuses the
// bundle or builds /dev inside the rootfs.
func TestHardeningDevSymlinkToAHostDirectoryStaysInTheRootfs(t *testing.T) {
	r := newRuntime(t)
	for i, withDevMount := range []bool{true, false} {
		t.Run(fmt.Sprintf("dev_tmpfs_mount=%v", withDevMount), func(t *testing.T) {
			host := t.TempDir()
			snap := takeSnapshot(t)
			spec := baseSpec("sh", "-c", "ls /dev")
			if !withDevMount {
				spec.Mounts = spec.Mounts[:1] // /proc only
			}
			mode := os.FileMode(0o666)
			spec.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/gcit0", Type: "c", Major: 1, Minor: 3, FileMode: &mode}}
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			require.NoError(t, os.RemoveAll(filepath.Join(b.rootfs, "dev")))
			require.NoError(t, os.Symlink(host, filepath.Join(b.rootfs, "dev")))
			id := "hdevlink" + strconv.Itoa(i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			t.Logf("%s", res)
			if res.code != 0 {
				requireOneLineError(t, res)
			} else {
				require.Contains(t, res.stdout, "gcit0\n")
				require.Contains(t, res.stdout, "ptmx\n")
				require.Contains(t, res.stdout, "stdout\n")
			}
			ents, err := os.ReadDir(host)
			require.NoError(t, err)
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			require.Empty(t, names, "the runtime wrote into the host directory the image's /dev points to")
			r.ok(t, "delete", "-f", id)
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}
