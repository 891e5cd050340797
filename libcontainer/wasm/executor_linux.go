package wasm

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcontainer"
)

// RunnerArg0 is argv[0] of the runner process.
const RunnerArg0 = "gocontainer-wasm"

// ErrNoRunner is returned for a wasm container when the Executor has no
// runner binary (the runtime was built without it).
var ErrNoRunner = errors.New("this runtime was built without its wasm runner")

// Executor is the libcontainer.ContextExecutor for wasm containers. It
// declines (libcontainer.ErrExecutorCannotHandle) every process Select does
// not pick, and every process started by exec, which has no annotations.
type Executor struct {
	// Runner opens the runner binary (package runner built for this
	// architecture); nil or an error means there is none. It is called
	// only for a wasm container.
	Runner func() (io.ReadCloser, error)
}

var (
	_ libcontainer.ContextExecutor = Executor{}
	_ libcontainer.ExecutorChecker = Executor{}
)

// Check fails create for a wasm container this executor cannot start: an
// unknown run.oci.handler, no runner, or an entrypoint that is not a
// WebAssembly binary module (the magic and version 1 header). Whether the
// module compiles is only known when the runner compiles it.
func (e Executor) Check(ctx libcontainer.ExecContext, p *specs.Process, path string) error {
	ok, err := Select(ctx.Annotations, p.Args)
	if err != nil || !ok {
		return err
	}
	if e.Runner == nil {
		return ErrNoRunner
	}
	r, err := e.Runner()
	if err != nil {
		return fmt.Errorf("wasm runner: %w", err)
	}
	r.Close()
	return checkModuleHeader(path)
}

// checkModuleHeader reads the first 8 bytes of the module at path.
func checkModuleHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var hdr [8]byte
	n, _ := io.ReadFull(f, hdr[:])
	if string(hdr[:n]) == "\x00asm\x01\x00\x00\x00" {
		return nil
	}
	if strings.HasSuffix(path, ".wat") {
		return fmt.Errorf("%s: the WebAssembly text format is not supported: compile it to a .wasm binary", path)
	}
	return fmt.Errorf("%s is not a WebAssembly binary module (no \\0asm version 1 header)", path)
}

// Exec declines: without the container's annotations there is nothing to
// choose by.
func (Executor) Exec(*specs.Process, string) error {
	return libcontainer.ErrExecutorCannotHandle
}

// ExecContext executes the runner as the container process, to run the
// module at path with p's args and env. It returns only on failure.
func (e Executor) ExecContext(ctx libcontainer.ExecContext, p *specs.Process, path string) error {
	ok, err := Select(ctx.Annotations, p.Args)
	if err != nil {
		return err
	}
	if !ok {
		return libcontainer.ErrExecutorCannotHandle
	}
	fd, err := e.sealedRunner()
	if err != nil {
		return fmt.Errorf("wasm runner: %w", err)
	}
	argv := append([]string{RunnerArg0, "--", path}, p.Args...)
	// The memfd is close-on-exec, which execveat allows for an ELF binary
	// (execveat(2): only a script would need it open).
	err = execveat(fd, argv, p.Env)
	unix.Close(fd)
	return fmt.Errorf("wasm: execute the runner for %s: %w", path, err)
}

// sealedRunner copies the runner into a memfd sealed against every change
// (CVE-2019-5736: the container can reach its process's binary through
// /proc/<pid>/exe; a sealed memfd has nothing behind it to overwrite).
func (e Executor) sealedRunner() (int, error) {
	if e.Runner == nil {
		return -1, ErrNoRunner
	}
	r, err := e.Runner()
	if err != nil {
		return -1, err
	}
	defer r.Close()
	fd, err := unix.MemfdCreate(RunnerArg0, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, os.NewSyscallError("memfd_create", err)
	}
	f := os.NewFile(uintptr(fd), RunnerArg0)
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return -1, fmt.Errorf("copy into memfd: %w", err)
	}
	const seals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return -1, os.NewSyscallError("fcntl F_ADD_SEALS", err)
	}
	// Keep the descriptor past f: it is closed by the execve.
	nfd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 3)
	f.Close()
	if err != nil {
		return -1, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", err)
	}
	return nfd, nil
}
