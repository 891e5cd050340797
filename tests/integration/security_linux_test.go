package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestNoRuntimeFdLeaksIntoTheContainer looks at the container process's
// fds from the host once it runs `sleep` (a shell inside would add fds of
// its own: saved stdout, command substitution pipes, ls's directory fd).
func TestNoRuntimeFdLeaksIntoTheContainer(t *testing.T) {
	r := newRuntime(t)
	tests := []struct {
		name     string
		preserve int
		extra    int // open files passed to the runtime as fd 3, 4, ...
	}{
		{name: "only_stdio_without_preserve_fds", extra: 1},
		{name: "stdio_and_exactly_the_two_preserved_fds", preserve: 2, extra: 3},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var files []*os.File
			want := map[string]string{}
			for n := range tc.extra {
				pr, pw, err := os.Pipe()
				require.NoError(t, err)
				t.Cleanup(func() { pr.Close(); pw.Close() })
				files = append(files, pr)
				var st unix.Stat_t
				require.NoError(t, unix.Fstat(int(pr.Fd()), &st))
				if n < tc.preserve {
					want[strconv.Itoa(3+n)] = fmt.Sprintf("pipe:[%d]", st.Ino)
				}
			}
			for _, fd := range []string{"0", "1", "2"} {
				want[fd] = ""
			}
			b := newBundle(t, baseSpec("sleep", "100"))
			id := fmt.Sprintf("fd%d", i)
			r.deleteOnCleanup(t, id)
			res := r.runWithFiles(t, files, "run", "--detach", "--preserve-fds", strconv.Itoa(tc.preserve), "--bundle", b.dir, id)
			require.Equal(t, 0, res.code, res.String())
			pid := r.mustState(t, id).Pid
			eventually(t, 10*time.Second, "the container to exec sleep", func() bool {
				comm, _ := os.ReadFile(filepathJoinProc(pid, "comm"))
				return string(comm) == "sleep\n"
			})
			ents, err := os.ReadDir(filepathJoinProc(pid, "fd"))
			require.NoError(t, err)
			got := map[string]string{}
			for _, e := range ents {
				link, _ := os.Readlink(filepath.Join(filepathJoinProc(pid, "fd"), e.Name()))
				got[e.Name()] = link
			}
			require.Len(t, got, len(want), "fds of the container process: %v", got)
			for fd, link := range want {
				require.Contains(t, got, fd, "fds of the container process: %v", got)
				if link != "" {
					require.Equal(t, link, got[fd], "fd %s is not the preserved pipe; fds: %v", fd, got)
				}
			}
		})
	}
}

// TestInitBinaryCannotBeWrittenThroughProcExe (CVE-2019-5736): the
// created container's init runs from a file no one can open for writing:
// one on a read-only mount (overlay copy, read-only bind) or a
// write-sealed memfd.
func TestInitBinaryCannotBeWrittenThroughProcExe(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, baseSpec("sleep", "100"))
	r.deleteOnCleanup(t, "exe")
	r.ok(t, "create", "--bundle", b.dir, "exe")
	pid := r.mustState(t, "exe").Pid
	exe := fmt.Sprintf("/proc/%d/exe", pid)

	fd, err := unix.Open(exe, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	require.NoError(t, err, "open %s", exe)
	defer unix.Close(fd)
	var initSt, hostSt unix.Stat_t
	require.NoError(t, unix.Fstat(fd, &initSt))
	require.NoError(t, unix.Stat(r.bin, &hostSt))
	// The same inode as the host binary is only safe behind a read-only
	// mount (runc 1.1's bindfd); a copy (overlay, memfd) is a new inode.
	sameInode := initSt.Dev == hostSt.Dev && initSt.Ino == hostSt.Ino
	t.Logf("init exe: same inode as %s: %v", r.bin, sameInode)

	var sfs unix.Statfs_t
	require.NoError(t, unix.Fstatfs(fd, &sfs))
	readOnlyMount := sfs.Flags&unix.ST_RDONLY != 0
	seals, sealErr := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	sealed := sealErr == nil && seals&unix.F_SEAL_WRITE != 0
	target, _ := os.Readlink(exe)
	require.True(t, readOnlyMount || sealed, "init binary %s (%s) is on a writable mount and not a write-sealed memfd (seals %#x, err %v)", exe, target, seals, sealErr)

	// Re-opening through the magic link for writing must fail too (it
	// would fail with ETXTBSY while it runs; EROFS or EPERM says why).
	wfd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		unix.Close(wfd)
	}
	require.Error(t, err, "opened the init binary %s for writing", target)
}

// TestSymlinkToAHostPathAsMountDestinationStaysInTheRootfs
// (CVE-2021-30465 family): a rootfs symlink pointing at a host path, used
// as a mount destination, must resolve inside the rootfs: nothing is
// created or mounted on the host, whether the runtime refuses the bundle
// or mounts inside the rootfs.
func TestSymlinkToAHostPathAsMountDestinationStaysInTheRootfs(t *testing.T) {
	r := newRuntime(t)
	host := t.TempDir()
	existing := filepath.Join(host, "existing")
	require.NoError(t, os.Mkdir(existing, 0o755))
	tests := []struct {
		name     string
		link     string // symlink in the rootfs -> host path
		target   string
		dest     string
		mustMiss string // host path that must not appear
	}{
		{name: "symlink_to_missing_host_dir", link: "escape", target: filepath.Join(host, "missing"), dest: "/escape", mustMiss: filepath.Join(host, "missing")},
		{name: "subdir_of_symlink_to_existing_host_dir", link: "escape2", target: existing, dest: "/escape2/sub", mustMiss: filepath.Join(existing, "sub")},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := baseSpec("true")
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			spec.Mounts = append(spec.Mounts, specsTmpfs(tc.dest))
			b := newBundle(t, spec)
			require.NoError(t, os.Symlink(tc.target, filepath.Join(b.rootfs, tc.link)))
			id := fmt.Sprintf("sym%d", i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			t.Logf("run: %s", res)
			if res.code != 0 {
				requireOneLineError(t, res)
			}
			_, err := os.Lstat(tc.mustMiss)
			require.True(t, os.IsNotExist(err), "host path %s was created through the rootfs symlink (err %v)", tc.mustMiss, err)
			ents, err := os.ReadDir(existing)
			require.NoError(t, err)
			require.Empty(t, ents, "host dir %s got entries", existing)
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}

func specsTmpfs(dest string) specs.Mount {
	return specs.Mount{Destination: dest, Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}}
}

// TestContainerCannotOverwriteTheRuntimeThroughAnotherInitsExe replays
// CVE-2019-5736 from inside: container A shares its pid namespace with
// container B; while B is only created, A opens /proc/<B init>/exe, then
// after B started (its init exec'd away, so the file no longer runs and
// ETXTBSY no longer protects it) A tries to write through that fd. The
// runtime used here is a private copy, so a vulnerable runtime damages
// only the copy, which the test then detects.
func TestContainerCannotOverwriteTheRuntimeThroughAnotherInitsExe(t *testing.T) {
	base := newRuntime(t)
	// Without CAP_SYS_PTRACE a non-dumpable init already refuses the open;
	// with it the open succeeds and the write must still fail (read-only
	// mount or sealed memfd).
	for _, ptrace := range []bool{false, true} {
		t.Run(fmt.Sprintf("attacker_with_CAP_SYS_PTRACE_%v", ptrace), func(t *testing.T) {
			overwriteThroughExe(t, base, ptrace)
		})
	}
}

func overwriteThroughExe(t *testing.T, base *rt, ptrace bool) {
	orig, err := os.ReadFile(base.bin)
	require.NoError(t, err)
	copyBin := filepath.Join(t.TempDir(), "gocontainer-copy")
	require.NoError(t, os.WriteFile(copyBin, orig, 0o755))
	r := &rt{bin: copyBin, root: filepath.Join(t.TempDir(), "root")}

	script := `while [ ! -e /go ]; do sleep 0.01; done
for p in /proc/[0-9]*; do
	n=${p#/proc/}
	[ "$n" = 1 ] && continue
	[ "$n" = "$$" ] && continue
	if (exec 3<"$p/exe") 2>/dev/null; then exec 3<"$p/exe"; echo "open $n ok"; break; else echo "open $n denied"; fi
done >> /log
touch /opened
while [ ! -e /go2 ]; do sleep 0.01; done
if [ -e /proc/self/fd/3 ]; then
	if (echo PWNED >> /proc/self/fd/3) 2>/dev/null; then echo "write ok"; else echo "write denied"; fi >> /log
fi
touch /done
while :; do sleep 1; done`
	aSpec := baseSpec("sh", "-c", script)
	if ptrace {
		c := aSpec.Process.Capabilities
		c.Bounding = append(c.Bounding, "CAP_SYS_PTRACE")
		c.Effective = append(c.Effective, "CAP_SYS_PTRACE")
		c.Permitted = append(c.Permitted, "CAP_SYS_PTRACE")
	}
	a := newBundle(t, aSpec)
	r.deleteOnCleanup(t, "cvea")
	r.ok(t, "run", "--detach", "--bundle", a.dir, "cvea")
	aPid := r.mustState(t, "cvea").Pid

	spec := baseSpec("sleep", "100")
	for i, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.PIDNamespace {
			spec.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/pid", aPid)
		}
	}
	b := newBundle(t, spec)
	r.deleteOnCleanup(t, "cveb")
	r.ok(t, "create", "--bundle", b.dir, "cveb")

	inA := func(name string) string { return filepath.Join(a.rootfs, name) }
	exists := func(p string) func() bool {
		return func() bool { _, err := os.Stat(p); return err == nil }
	}
	require.NoError(t, os.WriteFile(inA("go"), nil, 0o644))
	eventually(t, 10*time.Second, "container A to try to open B's init exe", exists(inA("opened")))
	r.ok(t, "start", "cveb")
	bPid := r.mustState(t, "cveb").Pid
	eventually(t, 10*time.Second, "B's init to exec sleep", func() bool {
		comm, _ := os.ReadFile(filepathJoinProc(bPid, "comm"))
		return string(comm) == "sleep\n"
	})
	require.NoError(t, os.WriteFile(inA("go2"), nil, 0o644))
	eventually(t, 10*time.Second, "container A to try the write", exists(inA("done")))

	log, err := os.ReadFile(inA("log"))
	require.NoError(t, err)
	t.Logf("container A:\n%s", log)
	require.Contains(t, string(log), "open ", "container A did not see B's init in the shared pid namespace")
	if ptrace {
		require.Regexp(t, `open [0-9]+ ok`, string(log), "with CAP_SYS_PTRACE container A could not even open B's init exe, so the write was not tried")
	}
	require.NotContains(t, string(log), "write ok", "container A wrote to the runtime binary through B's init /proc/<pid>/exe")
	now, err := os.ReadFile(copyBin)
	require.NoError(t, err)
	require.True(t, bytes.Equal(orig, now), "the runtime binary %s changed", copyBin)
}
