// Command gocontainer-wasm is the process of a wasm container: it runs one
// WASI preview 1 module (libcontainer/wasm/runner). It is built by
// hack/build.sh into bin/ and embedded in gocontainer, which executes it
// from a sealed memfd inside the container; it is not installed on its own.
package main

import (
	"os"

	"github.com/gocontainer/gocontainer/libcontainer/wasm/runner"
)

func main() {
	os.Exit(runner.Run(os.Args))
}
