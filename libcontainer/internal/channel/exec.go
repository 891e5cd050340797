package channel

// TypeExecConfig: runtime -> init, the first Go-side message when the
// init is an exec'd process joining a running container instead of a new
// container's init (the payload is libcontainer's exec config). The init
// answers with TypeLog, TypeSeccompFd and TypeError messages; the runtime
// learns that the process was executed when the init's close-on-exec end
// of the socket closes.
const TypeExecConfig Type = "exec_config"
