// Command gocontainer-wasm is the process of a wasm container: it runs one
// WASI preview 1 module (libcontainer/wasm/runner). It is built by
// hack/build.sh into bin/ and embedded in gocontainer, which executes it
// from a sealed memfd inside the container; it is not installed on its own.
//
// As in gocontainer, the cgroup-aware GOMAXPROCS is off: it would keep the
// cgroup's cpu.cfs_* files open in the container process for its whole
// life, and the module runs on one thread anyway.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"os"

	"github.com/gocontainer/gocontainer/libcontainer/wasm/runner"
)

func main() {
	os.Exit(runner.Run(os.Args))
}
