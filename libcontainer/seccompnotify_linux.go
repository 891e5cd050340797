package libcontainer

import (
	"encoding/json"
	"fmt"
	"log/slog"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// seccompFdName is the name runtime-spec gives the listener fd in the
// container process state's fds array.
const seccompFdName = "seccompFd"

// sendSeccompListener hands the init's seccomp notify listener (fd, which
// it always closes) to the agent at linux.seccomp.listenerPath.
func (c *create) sendSeccompListener(fd int) error {
	st := c.state.ociState(StatusCreating)
	st.Pid = c.pid
	return sendSeccompListener(c.spec.Linux.Seccomp, fd, c.pid, st, c.log)
}

// sendSeccompListener hands the seccomp notify listener (fd, which it
// always closes) of process pid to the agent at sc.listenerPath: one
// connection, one sendmsg carrying the container process state JSON (with
// state, the container's) and the fd (SCM_RIGHTS), then the connection is
// closed, as runtime-spec requires. create and exec share it. Any failure
// fails the command: the process's trapped syscalls would otherwise block
// forever.
func sendSeccompListener(sc *specs.LinuxSeccomp, fd, pid int, state specs.State, log *slog.Logger) error {
	defer unix.Close(fd)
	st := specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{seccompFdName},
		Pid:      pid,
		Metadata: sc.ListenerMetadata,
		State:    state,
	}
	raw, err := json.Marshal(&st)
	if err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath: encode container process state: %w", err)
	}
	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath: socket: %w", err)
	}
	defer unix.Close(sock)
	if err := unix.Connect(sock, &unix.SockaddrUnix{Name: sc.ListenerPath}); err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath %q: connect: %w", sc.ListenerPath, err)
	}
	for {
		n, err := unix.SendmsgN(sock, raw, unix.UnixRights(fd), nil, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("linux.seccomp.listenerPath %q: send container process state: %w", sc.ListenerPath, err)
		}
		if n != len(raw) {
			// The fd went with the first byte; a short stream write of
			// the rest would split the JSON, which the agent reads as one
			// message until EOF. Finish it.
			if err := writeAll(sock, raw[n:]); err != nil {
				return fmt.Errorf("linux.seccomp.listenerPath %q: send container process state: %w", sc.ListenerPath, err)
			}
		}
		break
	}
	log.Debug("seccomp listener sent", slog.String("listenerPath", sc.ListenerPath), slog.Int("pid", pid))
	return nil
}

func writeAll(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}
