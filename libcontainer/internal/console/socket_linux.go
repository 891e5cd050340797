package console

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// MasterName is the payload of the message that carries the master: runc
// sends the master's file name, which is "/dev/ptmx" for every pty it
// allocates, and receivers (containerd's go-runc, recvtty) use it as the
// received file's name only.
const MasterName = "/dev/ptmx"

// Dial connects to the console socket at path (--console-socket): a
// SOCK_STREAM unix socket whose listener receives the master. The returned
// file is what Setup sends the master over.
func Dial(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("console socket %s: %w", path, os.NewSyscallError("socket", err))
	}
	for {
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("console socket %s: %w", path, os.NewSyscallError("connect", err))
	}
	return os.NewFile(uintptr(fd), "console-socket:"+path), nil
}

// NewSocketPair returns a connected SOCK_STREAM pair, for a runtime that
// receives the master itself (a foreground run or exec with a terminal):
// the init gets containerEnd, the runtime reads the master from runtimeEnd
// with RecvMaster.
func NewSocketPair() (runtimeEnd, containerEnd *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("console socket pair: %w", os.NewSyscallError("socketpair", err))
	}
	return os.NewFile(uintptr(fds[0]), "console-runtime"), os.NewFile(uintptr(fds[1]), "console-container"), nil
}

// SendMaster sends master over sock as a single message: the payload
// MasterName and the fd as SCM_RIGHTS.
func SendMaster(sock, master *os.File) error {
	rc, err := sock.SyscallConn()
	if err != nil {
		return fmt.Errorf("send pty master: %w", err)
	}
	oob := unix.UnixRights(int(master.Fd()))
	var serr error
	err = rc.Write(func(fd uintptr) bool {
		serr = unix.Sendmsg(int(fd), []byte(MasterName), oob, nil, 0)
		return serr != unix.EAGAIN
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("send pty master: %w", os.NewSyscallError("sendmsg", err))
	}
	return nil
}

// RecvMaster receives one master sent by SendMaster (or by runc, crun or
// any runtime speaking the same protocol) from sock. The fd arrives
// close-on-exec; extra fds in the message are closed and refused.
func RecvMaster(sock *os.File) (*os.File, error) {
	rc, err := sock.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("receive pty master: %w", err)
	}
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4*4))
	var n, oobn int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_CMSG_CLOEXEC)
		return rerr != unix.EAGAIN
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return nil, fmt.Errorf("receive pty master: %w", os.NewSyscallError("recvmsg", err))
	}
	var fds []int
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return nil, fmt.Errorf("receive pty master: %w", err)
		}
		for _, m := range msgs {
			rights, err := unix.ParseUnixRights(&m)
			if err == nil {
				fds = append(fds, rights...)
			}
		}
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		if n == 0 && len(fds) == 0 {
			return nil, errors.New("receive pty master: the sender closed the socket without sending one")
		}
		return nil, fmt.Errorf("receive pty master: got %d fds, want 1", len(fds))
	}
	name := string(buf[:n])
	if name == "" {
		name = MasterName
	}
	return os.NewFile(uintptr(fds[0]), name), nil
}
