package wasm

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcontainer"
)

func TestCheckRefusesAtCreateWhatCannotStart(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o755))
		return p
	}
	good := write("good.wasm", "\x00asm\x01\x00\x00\x00")
	script := write("script.wasm", "#!/bin/sh\n")
	wat := write("hello.wat", "(module)")
	short := write("short.wasm", "\x00as")
	runner := Executor{Runner: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("ELF")), nil }}
	wasmCtx := libcontainer.ExecContext{Annotations: map[string]string{AnnotationHandler: HandlerWasm}}
	proc := func(path string) *specs.Process { return &specs.Process{Args: []string{path}} }

	require.NoError(t, runner.Check(wasmCtx, proc(good), good))
	require.NoError(t, runner.Check(libcontainer.ExecContext{}, proc(script), script), "not a wasm container")
	require.ErrorContains(t, runner.Check(wasmCtx, proc(script), script), "script.wasm is not a WebAssembly binary module")
	require.ErrorContains(t, runner.Check(wasmCtx, proc(short), short), "is not a WebAssembly binary module")
	require.ErrorContains(t, runner.Check(wasmCtx, proc(wat), wat), "text format is not supported")
	require.ErrorContains(t, runner.Check(libcontainer.ExecContext{Annotations: map[string]string{AnnotationHandler: "krun"}}, proc(good), good), `run.oci.handler="krun"`)
	require.ErrorIs(t, Executor{}.Check(wasmCtx, proc(good), good), ErrNoRunner)
	missing := Executor{Runner: func() (io.ReadCloser, error) { return nil, errors.New("gone") }}
	require.ErrorContains(t, missing.Check(wasmCtx, proc(good), good), "wasm runner: gone")
}

func TestExecContextDeclinesWhatItDoesNotSelect(t *testing.T) {
	e := Executor{}
	err := e.ExecContext(libcontainer.ExecContext{}, &specs.Process{Args: []string{"/app.wasm"}}, "/app.wasm")
	require.ErrorIs(t, err, libcontainer.ErrExecutorCannotHandle, "exec'd processes have no annotations: native")
	err = e.Exec(&specs.Process{Args: []string{"/app.wasm"}}, "/app.wasm")
	require.ErrorIs(t, err, libcontainer.ErrExecutorCannotHandle)
}
