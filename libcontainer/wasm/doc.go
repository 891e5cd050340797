// Package wasm runs WebAssembly (WASI preview 1) modules as container
// processes, on wazero (pure Go, no cgo), behind libcontainer's Executor
// interface.
//
// A container is a wasm container when its annotations say so, as crun
// decides: run.oci.handler=wasm or module.wasm.image/variant=compat always,
// and their -smart forms (wasm-smart, compat-smart) only when the entrypoint
// (process.args[0]) ends in .wasm or .wat, so that the other containers of a
// pod stay native (Select).
//
// The container init does all of its native setup (namespaces, cgroups,
// rootfs, capabilities, user, LSM labels, seccomp) as for any container;
// then, where it would execve the entrypoint, the Executor copies the
// runner (a small static binary, package runner, which the caller embeds)
// into a sealed memfd and execve's it with argv [RunnerArg0, "--", module
// path, process.args...] and the process environment. That execve is the
// container process's: close-on-exec descriptors go, capabilities and LSM
// labels change as for a native program, the process becomes dumpable.
// Only the runner links wazero, so native containers never load or
// initialise it; this package does not import it.
package wasm
