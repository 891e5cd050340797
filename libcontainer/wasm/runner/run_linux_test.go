package runner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// module is a binary module: the header, then sections (id, body).
func module(sections ...[]byte) []byte {
	out := []byte("\x00asm\x01\x00\x00\x00")
	for _, s := range sections {
		out = append(out, s[0], byte(len(s)-1))
		out = append(out, s[1:]...)
	}
	return out
}

func name(s string) []byte { return append([]byte{byte(len(s))}, s...) }

// importing is a module importing one func () -> () as mod.fn.
func importing(mod, fn string) []byte {
	types := []byte{1, 1, 0x60, 0, 0}
	imp := []byte{2, 1}
	imp = append(imp, name(mod)...)
	imp = append(imp, name(fn)...)
	imp = append(imp, 0, 0)
	return module(types, imp)
}

func TestRunRefusesWhatItCannotRun(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		bin  []byte
		want string
	}{
		{"not_wasm", []byte("#!/bin/sh\n"), "compile: invalid magic number"},
		{"no_start", module(), "no _start function"},
		{"unknown_wasi_call", importing("wasi_snapshot_preview1", "sock_open"), "unsupported WASI call wasi_snapshot_preview1.sock_open"},
		{"other_import_module", importing("wasi:cli/run@0.2.0", "run"), "unsupported import wasi:cli/run@0.2.0.run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".wasm")
			require.NoError(t, os.WriteFile(p, tc.bin, 0o644))
			_, err := run(p, []string{p}, nil)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := run(filepath.Join(dir, "missing.wasm"), nil, nil)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestRunUsageNeedsTheSeparator(t *testing.T) {
	require.Equal(t, ExitCannotRun, Run([]string{"gocontainer-wasm", "x.wasm"}))
}
