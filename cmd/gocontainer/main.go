// Command gocontainer is an OCI container runtime with runc's command line.
//
// The same binary is re-executed as every container's init: when started
// that way (libcontainer.IsInit), it never parses a command line.
package main

import (
	"os"

	"github.com/gocontainer/gocontainer/libcontainer"
	"github.com/gocontainer/gocontainer/ocicli"
)

func main() {
	if libcontainer.IsInit() {
		os.Exit(libcontainer.Init(libcontainer.InitOptions{}))
	}
	os.Exit(ocicli.Execute(os.Args[1:], newHandler(), versionInfo()))
}
