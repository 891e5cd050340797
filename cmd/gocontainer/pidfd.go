package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// pidfdSocket is --pidfd-socket (runc 1.2+): an AF_UNIX stream socket that
// receives, in one SCM_RIGHTS message, a pidfd of the container's init
// (create, run) or of the exec'd process, so the caller (containerd's shim)
// can wait on and signal it without pid reuse races. It is connected
// before anything is created, so a bad path fails alone.
type pidfdSocket struct {
	path string
	fd   int
}

// dialPidfdSocket connects to path; nil for "".
func dialPidfdSocket(path string) (*pidfdSocket, error) {
	if path == "" {
		return nil, nil
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("--pidfd-socket %s: %w", path, os.NewSyscallError("socket", err))
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("--pidfd-socket %s: %w", path, os.NewSyscallError("connect", err))
	}
	return &pidfdSocket{path: path, fd: fd}, nil
}

// send opens a pidfd of pid and sends it. The process is our child or
// the init we just created and still hold in the created state, so the pid
// cannot have been reused.
func (s *pidfdSocket) send(pid int) error {
	if s == nil {
		return nil
	}
	pfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("--pidfd-socket %s: %w", s.path, os.NewSyscallError("pidfd_open", err))
	}
	defer unix.Close(pfd)
	// The name goes as the message's data, as runc sends it.
	if err := unix.Sendmsg(s.fd, []byte("pidfd"), unix.UnixRights(pfd), nil, 0); err != nil {
		return fmt.Errorf("--pidfd-socket %s: %w", s.path, os.NewSyscallError("sendmsg", err))
	}
	return nil
}

func (s *pidfdSocket) Close() {
	if s != nil {
		unix.Close(s.fd)
	}
}
