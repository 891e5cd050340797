package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// withDevpts gives the container the devpts every terminal comes from.
func withDevpts(s *specs.Spec) {
	s.Mounts = append(s.Mounts, specs.Mount{
		Destination: "/dev/pts", Type: "devpts", Source: "devpts",
		Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
	})
}

// exec --tty --detach --console-socket: the receiver gets the master of a
// pty from the container's devpts, and the exec'd shell has it as its
// stdio and controlling terminal, as with runc.
func TestExecTerminalConsoleSocket(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-tty-cs", withDevpts)
	cr := newConsoleReceiver(t)
	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	r.ok(t, "exec", "--detach", "--tty", "--console-socket", cr.path, "--pid-file", pidFile, c.id, "sh")
	pid := readPidFile(t, pidFile)
	master := cr.receive(t)
	out := readTerminal(master)

	_, err := master.WriteString(`tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo stdio-tty; cut -d" " -f7 /proc/self/stat; echo hi` + "\n")
	require.NoError(t, err)
	m := out.waitFor(t, `(?m)^(/dev/pts/\d+)\r?$`)
	require.Equal(t, "/dev/pts/0", m[1], "the pty comes from the container's own devpts")
	out.waitFor(t, `(?m)^stdio-tty\r?$`)
	// tty_nr (field 7) is the controlling terminal: major 136, minor 0.
	out.waitFor(t, `(?m)^34816\r?$`)
	out.waitFor(t, `(?m)^hi\r?$`)
	_, err = master.WriteString("exit\n")
	require.NoError(t, err)
	select {
	case <-out.done:
	case <-time.After(10 * time.Second):
		t.Fatal("master did not reach EOF/EIO after the exec'd shell exited")
	}
	// The detached process was re-parented to us, the subreaper.
	var ws unix.WaitStatus
	_, err = unix.Wait4(pid, &ws, 0, nil)
	require.NoError(t, err)
	require.Equal(t, 0, ws.ExitStatus())
	requireOnlyInit(t, c)
}

// A foreground exec --tty relays the user's terminal (raw mode, restored
// afterwards) and returns the process's exit code.
func TestExecTerminalForegroundRelaysTheUsersTerminal(t *testing.T) {
	r := newRuntime(t)
	c := startForExec(t, r, "exec-tty-fg", withDevpts)
	u := startOnUserTerminal(t, r, "exec", "--tty", c.id, "sh")
	_, err := u.master.WriteString("stty size; tty; echo hi; exit 3\n")
	require.NoError(t, err)
	err = u.cmd.Wait()
	require.Equal(t, 3, exitCode(err), "exec exit status; terminal: %s", strconvQuote(u.out))
	u.out.waitFor(t, `(?m)^25 90\r?$`)
	u.out.waitFor(t, `(?m)^/dev/pts/0\r?$`)
	u.out.waitFor(t, `(?m)^hi\r?$`)
	u.requireRestored(t)
	requireOnlyInit(t, c)
}

func readPidFile(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err, "pid file %s: %q", path, b)
	return pid
}
