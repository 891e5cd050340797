package main

import (
	"io"
	"io/fs"
	"strings"

	"github.com/gocontainer/gocontainer/libcontainer/wasm"
)

// The wasm runner, a separate small static binary, is embedded rather than
// linked: linking wazero would add its package initialisation (and
// crypto's) to every gocontainer start, about 0.5 ms each, four starts per
// container (TestBinaryDoesNotLinkWazero). Embedded bytes cost nothing
// until a wasm container reads them. wasmRunnerDir is the runner built for
// this GOARCH (wasm_<arch>.go), wasmRunnerPath its name there.
const wasmRunnerName = "gocontainer-wasm"

// wasmEngine names the runner's engine; hack/build.sh adds its version
// (-X main.wasmEngine=...).
var wasmEngine = "wazero"

func wasmExecutor() wasm.Executor {
	return wasm.Executor{Runner: func() (io.ReadCloser, error) {
		f, err := openWasmRunner()
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
	f, err := openWasmRunner()
	if err != nil {
		return nil
	}
	f.Close()
	out["run.oci.gocontainer.wasm.engine"] = wasmEngine
	return out
}

func openWasmRunner() (fs.File, error) {
	if wasmRunnerDir == nil {
		return nil, fs.ErrNotExist
	}
	return wasmRunnerDir.Open(wasmRunnerPath)
}
