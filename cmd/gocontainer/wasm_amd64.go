package main

import (
	"embed"
	"io/fs"
)

//go:embed wasmrunner/bin/amd64
var wasmRunnerFS embed.FS

var wasmRunnerDir fs.FS = wasmRunnerFS

const wasmRunnerPath = "wasmrunner/bin/amd64/" + wasmRunnerName
