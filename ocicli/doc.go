// Package ocicli defines the command line of an OCI runtime the way runc
// spells it: the subcommands (create, start, state, kill, delete, run, exec,
// list, ps, pause, resume, events, update, spec, features, checkpoint,
// restore), their flag names, short flags, defaults and hidden flags, and the
// global flags (--root, --log, --log-format, --debug, --log-level,
// --systemd-cgroup, --rootless, --criu, --version).
//
// containerd (go-runc), conmon, Docker and Podman drive a runtime with runc's
// arguments, so this surface is an ABI: a flag that runc accepts and we reject
// breaks a client. The package holds no runtime logic and does not import
// libcontainer. It parses the command line into plain option structs, checks
// what can be checked without touching the host (argument counts, enum
// values, numbers, signal names), and calls a Handler that the binary
// implements.
//
// A binary's main is typically:
//
//	func main() {
//		os.Exit(ocicli.Execute(os.Args[1:], &handler{}, version))
//	}
package ocicli
