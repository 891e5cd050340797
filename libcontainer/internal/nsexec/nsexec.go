// Package nsexec holds the C stage that runs before the Go runtime in the
// container init: it joins and creates namespaces and forks into a new PID
// namespace, then returns into Go. Importing this package links the
// constructor into the binary; the constructor does nothing unless the
// process was started as a container init (see nsexec.c for the protocol).
package nsexec

// #cgo CFLAGS: -Wall -Wextra -O2
import "C"

// EnvInitPipe names the environment variable that carries the number of the
// inherited socket the C stage and the Go init talk to the parent on.
const EnvInitPipe = "_GOCONTAINER_INITPIPE"
