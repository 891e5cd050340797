// Package console owns the pseudo-terminal of a container process: it
// allocates the pty inside the container from a verified devpts, hands the
// master to whoever asked for it over a unix socket (--console-socket, the
// protocol containerd, conmon and runc's recvtty speak: one SCM_RIGHTS
// message carrying the master, with the name "/dev/ptmx" as payload), makes
// the slave the process's stdio, controlling terminal and /dev/console, and
// on the runtime side relays a received master to the user's terminal (raw
// mode, window size, copy both ways).
//
// The init side is one call, Setup, made after the container's root is in
// place; the runtime side is Dial or NewSocketPair for the socket the init
// gets, RecvMaster for the master and Relay for a foreground terminal.
package console
