// Command wasiunsupported imports a function WASI preview 1 does not have
// (sock_open, a WasmEdge extension): the runtime must refuse it in one
// line.
package main

//go:wasmimport wasi_snapshot_preview1 sock_open
func sockOpen(af, typ int32, fd *int32) int32

func main() {
	var fd int32
	sockOpen(2, 1, &fd)
}
