// Package integration drives the built gocontainer binary as containerd,
// conmon and users do, and checks what the host and the container see.
// The tests need root; without it they skip with the reason.
package integration
