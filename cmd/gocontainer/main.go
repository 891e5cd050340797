// Command gocontainer is an OCI container runtime with runc's command line.
//
// The same binary is re-executed as every container's init: when started
// that way (libcontainer.IsInit), it never parses a command line.
//
// The go:debug lines switch off the runtime's cgroup-aware GOMAXPROCS:
// every gocontainer process lives a few milliseconds, and reading the
// cgroup CPU limit (mountinfo, /proc/self/cgroup, cpu.cfs_*) at each start,
// then keeping those files open, buys nothing; the container init would
// even carry the open cgroup files until its exec.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"os"

	"github.com/gocontainer/gocontainer/libcontainer"
	"github.com/gocontainer/gocontainer/ocicli"
)

func main() {
	if libcontainer.IsInit() {
		os.Exit(libcontainer.Init(libcontainer.InitOptions{Executors: []libcontainer.Executor{wasmExecutor()}}))
	}
	os.Exit(ocicli.Execute(os.Args[1:], newHandler(), versionInfo()))
}
