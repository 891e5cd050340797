package devices

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const unifiedRoot = "/sys/fs/cgroup/unified"

// ownCgroup2 makes a cgroup of the test's own below the host's cgroup2
// tree (the hybrid layout's /sys/fs/cgroup/unified, else /sys/fs/cgroup).
func ownCgroup2(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a cgroup and attach a BPF program")
	}
	root := unifiedRoot
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		root = "/sys/fs/cgroup"
		if err := unix.Statfs(root, &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
			t.Skip("no cgroup2 mount at /sys/fs/cgroup/unified or /sys/fs/cgroup")
		}
	}
	dir := filepath.Join(root, fmt.Sprintf("gocontainer-dev-devices-test-%d", os.Getpid()))
	require.NoError(t, os.Mkdir(dir, 0o755))
	t.Cleanup(func() { _ = unix.Rmdir(dir) })
	return dir
}

// prober is a shell in the test cgroup that answers "allowed" or "denied"
// each time it is asked to open /dev/null for reading and writing.
type prober struct {
	cmd *exec.Cmd
	in  *os.File
	out *bufio.Reader
}

func startProber(t *testing.T, dir string) *prober {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", `while read x; do if (exec 3<>/dev/null) 2>/dev/null; then echo allowed; else echo denied; fi; done`)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(cmd.Process.Pid)), 0))
	return &prober{cmd: cmd, in: stdin.(*os.File), out: bufio.NewReader(stdout)}
}

func (p *prober) open(t *testing.T) string {
	t.Helper()
	_, err := p.in.WriteString("x\n")
	require.NoError(t, err)
	done := make(chan string, 1)
	go func() {
		line, _ := p.out.ReadString('\n')
		done <- strings.TrimSpace(line)
	}()
	select {
	case s := <-done:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("prober did not answer")
		return ""
	}
}

// attachedIDs returns the IDs of the device programs attached to dir, as
// cilium/ebpf's query sees them, after checking that the package's own
// raw query sees the same.
func attachedIDs(t *testing.T, dir string) []ebpf.ProgramID {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	q, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	require.NoError(t, err)
	var want []ebpf.ProgramID
	for _, p := range q.Programs {
		want = append(want, p.ID)
	}
	for _, n := range []int{0, 1, 8} { // also too small: the query must grow
		raw, err := queryPrograms(fd, n)
		require.NoError(t, err)
		var got []ebpf.ProgramID
		for _, id := range raw {
			got = append(got, ebpf.ProgramID(id))
		}
		require.Equal(t, want, got, "raw BPF_PROG_QUERY (room for %d) vs cilium/ebpf", n)
	}
	return want
}

func TestAttachDeniesAndAllowsDevNullInRealCgroup(t *testing.T) {
	dir := ownCgroup2(t)
	p := startProber(t, dir)
	require.Equal(t, "allowed", p.open(t), "no program attached yet")
	require.Empty(t, attachedIDs(t, dir))

	denyNull := []specs.LinuxDeviceCgroup{deny("a", nil, nil, "rwm"), allow("c", i64(1), i64(5), "rwm")}
	err := Apply(dir, denyNull, nil)
	if errors.Is(err, unix.EPERM) {
		t.Skipf("BPF not permitted here: %v", err)
	}
	require.NoError(t, err)
	require.Equal(t, "denied", p.open(t), "rules allow only /dev/zero")
	ids := attachedIDs(t, dir)
	require.Len(t, ids, 1)

	// Replacing: allowing /dev/null takes effect and leaves one program,
	// a new one.
	require.NoError(t, Apply(dir, append(denyNull, allow("c", i64(1), i64(3), "rw")), nil))
	require.Equal(t, "allowed", p.open(t))
	ids2 := attachedIDs(t, dir)
	require.Len(t, ids2, 1, "the old program was replaced, not stacked")
	require.NotEqual(t, ids, ids2)

	// Read only is not enough for an O_RDWR open.
	require.NoError(t, Apply(dir, append(denyNull, allow("c", i64(1), i64(3), "r")), nil))
	require.Equal(t, "denied", p.open(t))
	require.Len(t, attachedIDs(t, dir), 1)
}

func TestAttachDetachesSeveralOldPrograms(t *testing.T) {
	dir := ownCgroup2(t)
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	// Two programs attached by someone else (allow-all each), through
	// cilium/ebpf.
	insns, err := refProgram(&Filter{DefaultAllow: true})
	require.NoError(t, err)
	for range 2 {
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.CGroupDevice, Instructions: insns, License: License})
		if errors.Is(err, unix.EPERM) {
			t.Skipf("BPF not permitted here: %v", err)
		}
		require.NoError(t, err)
		require.NoError(t, link.RawAttachProgram(link.RawAttachProgramOptions{Target: fd, Program: prog, Attach: ebpf.AttachCGroupDevice, Flags: unix.BPF_F_ALLOW_MULTI}))
		prog.Close()
	}
	old := attachedIDs(t, dir)
	require.Len(t, old, 2)

	// attached opens them close-on-exec.
	progs, err := attached(fd)
	require.NoError(t, err)
	require.Len(t, progs, 2)
	for _, p := range progs {
		requireCloexec(t, p.FD())
		require.NoError(t, p.Close())
	}

	p := startProber(t, dir)
	require.Equal(t, "allowed", p.open(t))
	require.NoError(t, Apply(dir, []specs.LinuxDeviceCgroup{deny("a", nil, nil, "rwm")}, nil))
	now := attachedIDs(t, dir)
	require.Len(t, now, 1)
	require.NotContains(t, old, now[0])
	require.Equal(t, "denied", p.open(t))
}

func TestAttachErrors(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to load a BPF program")
	}
	err := Attach("/nonexistent-gocontainer-dir", &Filter{}, nil)
	if errors.Is(err, unix.EPERM) {
		t.Skipf("BPF not permitted here: %v", err)
	}
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "attach device program: open /nonexistent-gocontainer-dir: no such file or directory")

	// A directory that is not a cgroup2 one: the query names the step.
	err = Attach(t.TempDir(), &Filter{}, nil)
	require.ErrorContains(t, err, "query attached programs: bpf BPF_PROG_QUERY: ")
}
