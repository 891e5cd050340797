package integration

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func runPiped(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var outBuf, errBuf strings.Builder
	outR, outW, err := os.Pipe()
	require.NoError(t, err)
	errR, errW, err := os.Pipe()
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = outW, errW
	require.NoError(t, cmd.Start())
	outW.Close()
	errW.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(&outBuf, outR); done <- struct{}{} }()
	go func() { _, _ = io.Copy(&errBuf, errR); done <- struct{}{} }()
	werr := cmd.Wait()
	<-done
	<-done
	outR.Close()
	errR.Close()
	return result{stdout: outBuf.String(), stderr: errBuf.String(), code: exitCode(werr)}
}

func TestStdioIsChownedToTheContainerUser(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("sh", "-c", "stat -L -c %u /proc/self/fd/1; echo reopened > /proc/self/fd/2 && echo reopen-ok")
	spec.Process.User = specs.User{UID: 1234, GID: 1234}
	b := newBundle(t, spec)
	id := "stdiochown"
	r.deleteOnCleanup(t, id)
	cmd := r.command(t.Context(), "run", "--bundle", b.dir, id)
	res := runPiped(t, cmd)
	require.Equal(t, 0, res.code, "%s", res)
	require.Contains(t, res.stdout, "1234\n", "%s", res)
	require.Contains(t, res.stdout, "reopen-ok", "%s", res)
}
