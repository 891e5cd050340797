// Package runner is the process of a wasm container: it runs one WASI
// preview 1 module on wazero. It is built into its own small static binary
// (cmd/gocontainer/wasmrunner), which the wasm Executor executes from a
// sealed memfd inside the container, so that no other gocontainer process
// links or initialises wazero (docs/wasm.md).
package runner

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Exit codes of Run when the module does not run, as a shell reports a
// program it cannot execute.
const (
	ExitCannotRun = 126
)

// terminating are the signals whose default action ends a process; the
// module cannot handle signals (WASI preview 1 has none), so each ends it
// as it would end a native program that does not handle it.
var terminating = []os.Signal{
	unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM,
}

// Run runs the module named by args (os.Args: argv[0], "--", the module,
// then the module's own argv)
// in this process, which is the container process: WASI preview 1 with
// process.args, process.env, stdio, the container's root directory
// preopened as "/", and PWD set to the working directory when the
// environment does not set it (WASI has no working directory; Go's wasip1
// port and wasi-libc programs that read PWD resolve relative paths
// against it). It returns the module's exit code, or ExitCannotRun after
// one line on stderr when the module cannot run.
func Run(args []string) int {
	if len(args) < 3 || args[1] != "--" {
		fmt.Fprintln(os.Stderr, "usage: gocontainer-wasm -- MODULE [ARG0 ARGS...]")
		return ExitCannotRun
	}
	file, modArgs := args[2], args[3:]
	// The process name is the fd the binary was executed from; name it
	// after the module as a native program would be.
	setProcessName(path.Base(file))

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, terminating...)
	go func() {
		s := (<-sigs).(unix.Signal)
		dieOf(s)
	}()

	code, err := run(file, modArgs, os.Environ())
	if err != nil {
		fmt.Fprintf(os.Stderr, "gocontainer: wasm %s: %s\n", file, oneLine(err))
		return ExitCannotRun
	}
	return code
}

func run(file string, args, env []string) (int, error) {
	bin, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		return 0, fmt.Errorf("instantiate WASI preview 1: %w", err)
	}
	mod, err := r.CompileModule(ctx, bin)
	if err != nil {
		return 0, fmt.Errorf("compile: %w", err)
	}
	// Every import must be a WASI preview 1 function wazero has, checked
	// here to name the first one that is not.
	wasi := r.Module(wasi_snapshot_preview1.ModuleName).ExportedFunctionDefinitions()
	for _, f := range mod.ImportedFunctions() {
		m, name, _ := f.Import()
		if m != wasi_snapshot_preview1.ModuleName {
			return 0, fmt.Errorf("unsupported import %s.%s: only WASI preview 1 (%s) is provided", m, name, wasi_snapshot_preview1.ModuleName)
		}
		if _, ok := wasi[name]; !ok {
			return 0, fmt.Errorf("unsupported WASI call %s.%s: WASI preview 1 has no such function", m, name)
		}
	}

	if _, ok := mod.ExportedFunctions()["_start"]; !ok {
		return 0, errors.New("not a WASI command: the module exports no _start function")
	}

	cfg := wazero.NewModuleConfig().
		WithName("").
		WithArgs(args...).
		WithStdin(os.Stdin).WithStdout(os.Stdout).WithStderr(os.Stderr).
		WithFSConfig(wazero.NewFSConfig().WithDirMount("/", "/")).
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().
		WithRandSource(rand.Reader)
	hasPWD := false
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		cfg = cfg.WithEnv(k, v)
		hasPWD = hasPWD || k == "PWD"
	}
	if !hasPWD {
		if wd, err := os.Getwd(); err == nil {
			cfg = cfg.WithEnv("PWD", wd)
		}
	}
	_, err = r.InstantiateModule(ctx, mod, cfg)
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		return int(exit.ExitCode()), nil
	}
	if err != nil {
		// Imports were checked above: what fails here is the module
		// itself (a trap).
		return 0, fmt.Errorf("run: %w", err)
	}
	return 0, nil
}

// dieOf ends the process as killed by s: with the default action
// restored, a signal to itself kills it. The pid namespace's init
// ignores signals from inside its namespace that it does not handle
// (pid_namespaces(7)); it exits with 128+s, as a shell reports it.
func dieOf(s unix.Signal) {
	signal.Reset(s)
	_ = unix.Kill(unix.Getpid(), s)
	os.Exit(128 + int(s))
}

// oneLine keeps an error (wazero's traps carry a stack trace) to its
// first line.
func oneLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// setProcessName is prctl(PR_SET_NAME): what ps and /proc/<pid>/comm show.
func setProcessName(name string) {
	if p, err := unix.BytePtrFromString(name); err == nil {
		_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(p)), 0, 0, 0)
	}
}
