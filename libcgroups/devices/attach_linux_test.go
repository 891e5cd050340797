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

func attachedCount(t *testing.T, dir string) int {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	q, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	require.NoError(t, err)
	return len(q.Programs)
}

func TestAttachDeniesAndAllowsDevNullInRealCgroup(t *testing.T) {
	dir := ownCgroup2(t)
	p := startProber(t, dir)
	require.Equal(t, "allowed", p.open(t), "no program attached yet")

	denyNull := []specs.LinuxDeviceCgroup{deny("a", nil, nil, "rwm"), allow("c", i64(1), i64(5), "rwm")}
	err := Apply(dir, denyNull, nil)
	if errors.Is(err, unix.EPERM) {
		t.Skipf("BPF not permitted here: %v", err)
	}
	require.NoError(t, err)
	require.Equal(t, "denied", p.open(t), "rules allow only /dev/zero")
	require.Equal(t, 1, attachedCount(t, dir))

	// Replacing: allowing /dev/null takes effect and leaves one program.
	require.NoError(t, Apply(dir, append(denyNull, allow("c", i64(1), i64(3), "rw")), nil))
	require.Equal(t, "allowed", p.open(t))
	require.Equal(t, 1, attachedCount(t, dir), "the old program was replaced, not stacked")

	// Read only is not enough for an O_RDWR open.
	require.NoError(t, Apply(dir, append(denyNull, allow("c", i64(1), i64(3), "r")), nil))
	require.Equal(t, "denied", p.open(t))
	require.Equal(t, 1, attachedCount(t, dir))
}

func TestAttachDetachesSeveralOldPrograms(t *testing.T) {
	dir := ownCgroup2(t)
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	// Two programs attached by someone else (allow-all each).
	for range 2 {
		prog, err := Load(&Filter{DefaultAllow: true})
		if errors.Is(err, unix.EPERM) {
			t.Skipf("BPF not permitted here: %v", err)
		}
		require.NoError(t, err)
		require.NoError(t, link.RawAttachProgram(link.RawAttachProgramOptions{Target: fd, Program: prog, Attach: ebpf.AttachCGroupDevice, Flags: unix.BPF_F_ALLOW_MULTI}))
		prog.Close()
	}
	require.Equal(t, 2, attachedCount(t, dir))
	p := startProber(t, dir)
	require.NoError(t, Apply(dir, []specs.LinuxDeviceCgroup{deny("a", nil, nil, "rwm")}, nil))
	require.Equal(t, 1, attachedCount(t, dir))
	require.Equal(t, "denied", p.open(t))
}
