package main

import (
	"embed"
	"io"
	"strings"

	"github.com/gocontainer/gocontainer/libcontainer/wasm"
)

// The wasm runner, a separate small static binary, is embedded rather than
// linked: linking wazero would add its package initialisation (and
// crypto's) to every gocontainer start, about 0.5 ms each, four starts per
// container (TestBinaryDoesNotLinkWazero). Embedded bytes cost nothing
// until a wasm container reads them.
//
//go:embed wasmrunner/bin
var wasmRunnerDir embed.FS

const wasmRunnerPath = "wasmrunner/bin/gocontainer-wasm"

// wasmEngine names the runner's engine; hack/build.sh adds its version
// (-X main.wasmEngine=...).
var wasmEngine = "wazero"

func wasmExecutor() wasm.Executor {
	return wasm.Executor{Runner: func() (io.ReadCloser, error) {
		f, err := wasmRunnerDir.Open(wasmRunnerPath)
		if err != nil {
			return nil, wasm.ErrNoRunner
		}
		return f, nil
	}}
}

// wasmFeatures are the features document's annotations for the wasm
// handlers: which annotation values select them, and the engine.
func wasmFeatures() map[string]string {
	out := map[string]string{}
	for k, v := range wasm.Handlers() {
		out[k] = strings.Join(v, ",")
	}
	if _, err := wasmRunnerDir.Open(wasmRunnerPath); err != nil {
		return nil
	}
	out["run.oci.gocontainer.wasm.engine"] = wasmEngine
	return out
}
