//go:build !amd64 && !arm64

package main

import "io/fs"

// No runner is built for this architecture (hack/build.sh): wasm
// containers are refused with one line.
var wasmRunnerDir fs.FS

const wasmRunnerPath = ""
