package main

import (
	"embed"
	"io/fs"
)

//go:embed wasmrunner/bin/arm64
var wasmRunnerFS embed.FS

var wasmRunnerDir fs.FS = wasmRunnerFS

const wasmRunnerPath = "wasmrunner/bin/arm64/" + wasmRunnerName
