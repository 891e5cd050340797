// Package libcontainer creates and manages OCI containers on Linux.
//
// A container is created from a bundle with an InitContainerBuilder (the
// "create" and "run" commands), then driven through a Container loaded from
// the state directory: Start, Kill, Delete, State. The container init is a
// re-execution of the calling binary; that binary must call Init when it is
// started with the arguments Init expects (see cmd/gocontainer), and must
// import this package so that the pre-runtime C stage (internal/nsexec) is
// linked in.
//
// State lives in <root>/<id>/state.json, written atomically; every command
// that changes a container holds an flock on <root>/<id>. Status is derived
// from the init's pid and start time and the exec fifo, never stored.
package libcontainer
