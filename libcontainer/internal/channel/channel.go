// Package channel carries the typed messages between the runtime and the
// container init over an inherited stream socket. Every frame is a 4-byte
// native-endian length and a payload; the C pre-runtime stage uses plain text
// payloads (see internal/nsexec), the Go stages JSON-encoded Messages.
package channel

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// MaxFrame bounds a frame so a corrupt length cannot make a reader allocate
// without limit. A config.json with a large seccomp profile stays far below it.
const MaxFrame = 64 << 20

// Type names a message of the parent/init protocol.
type Type string

// The Go-side protocol, in the order it happens during create.
const (
	// TypeConfig: runtime -> init, the InitConfig payload.
	TypeConfig Type = "config"
	// TypeHooks: init -> runtime, the rootfs is mounted and the runtime
	// must now run the prestart and createRuntime hooks.
	TypeHooks Type = "hooks"
	// TypeHooksDone: runtime -> init, the hooks succeeded.
	TypeHooksDone Type = "hooks_done"
	// TypeReady: init -> runtime, everything that can fail is done; the
	// init only waits for start and execs.
	TypeReady Type = "ready"
	// TypeReadyAck: runtime -> init, state.json is on disk.
	TypeReadyAck Type = "ready_ack"
	// TypeError: init -> runtime, the init failed; Error says where.
	TypeError Type = "error"
	// TypeSeccompFd: init -> runtime, the seccomp notify listener follows
	// as one SCM_RIGHTS byte (SendFd/RecvFd); the runtime hands it to the
	// agent at linux.seccomp.listenerPath.
	TypeSeccompFd Type = "seccomp_fd"
	// TypeLog: init -> runtime, one JSON log entry of the init (a slog
	// JSON encoding), re-emitted by the runtime's own logger.
	TypeLog Type = "log"
)

// Message is one JSON frame.
type Message struct {
	Type    Type            `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
	Error   *InitError      `json:"error,omitempty"`
}

// InitError is a failure inside the container init, reported to the user
// as one line naming the step, the path and the reason.
type InitError struct {
	Step  string `json:"step"`
	Errno int    `json:"errno,omitempty"`
	Msg   string `json:"msg"`
}

func (e *InitError) Error() string {
	return e.Step + ": " + e.Msg
}

// Unwrap exposes the errno so callers can use errors.Is(err, unix.EPERM).
func (e *InitError) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return unix.Errno(e.Errno)
}

// NewInitError wraps err as the failure of step.
func NewInitError(step string, err error) *InitError {
	ie := &InitError{Step: step, Msg: err.Error()}
	var errno unix.Errno
	if errors.As(err, &errno) {
		ie.Errno = int(errno)
	}
	return ie
}

// Conn is one end of the socket.
type Conn struct {
	f *os.File
}

// New wraps an open socket.
func New(f *os.File) *Conn { return &Conn{f: f} }

// Pair returns a connected pair of close-on-exec stream sockets: the
// parent's end and the end handed to the init.
func Pair() (parent, child *Conn, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	return New(os.NewFile(uintptr(fds[0]), "init-parent")), New(os.NewFile(uintptr(fds[1]), "init-child")), nil
}

// File returns the underlying socket.
func (c *Conn) File() *os.File { return c.f }

// Close closes the socket.
func (c *Conn) Close() error { return c.f.Close() }

// WriteFrame writes one frame.
func (c *Conn) WriteFrame(p []byte) error {
	if len(p) > MaxFrame {
		return fmt.Errorf("message of %d bytes exceeds %d", len(p), MaxFrame)
	}
	buf := make([]byte, 4+len(p))
	binary.NativeEndian.PutUint32(buf, uint32(len(p)))
	copy(buf[4:], p)
	_, err := c.f.Write(buf)
	return err
}

// ReadFrame reads one frame. A peer that closed its end yields io.EOF.
func (c *Conn) ReadFrame() ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c.f, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, io.EOF
		}
		return nil, err
	}
	n := binary.NativeEndian.Uint32(hdr[:])
	if n > MaxFrame {
		return nil, fmt.Errorf("frame of %d bytes exceeds %d", n, MaxFrame)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(c.f, p); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, io.EOF
		}
		return nil, err
	}
	return p, nil
}

// Send writes a JSON message; payload, when not nil, is marshalled into it.
func (c *Conn) Send(t Type, payload any) error {
	m := Message{Type: t}
	if payload != nil {
		raw, err := json.Marshal(payload)
		if err != nil {
			return fmt.Errorf("encode %s message: %w", t, err)
		}
		m.Payload = raw
	}
	return c.send(&m)
}

// SendError reports a failure to the peer.
func (c *Conn) SendError(e *InitError) error {
	return c.send(&Message{Type: TypeError, Error: e})
}

func (c *Conn) send(m *Message) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	return c.WriteFrame(raw)
}

// Recv reads one JSON message.
func (c *Conn) Recv() (*Message, error) {
	raw, err := c.ReadFrame()
	if err != nil {
		return nil, err
	}
	var m Message
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode message: %w", err)
	}
	return &m, nil
}

// Expect reads one message and requires it to be of type t. An error
// message from the peer is returned as its *InitError.
func (c *Conn) Expect(t Type) (*Message, error) {
	m, err := c.Recv()
	if err != nil {
		return nil, err
	}
	if m.Type == TypeError && m.Error != nil {
		return nil, m.Error
	}
	if m.Type != t {
		return nil, fmt.Errorf("unexpected %q message, want %q", m.Type, t)
	}
	return m, nil
}

// fdMarker is the single data byte an SCM_RIGHTS message rides on: a
// stream socket carries no ancillary data without at least one byte.
const fdMarker = 'F'

// SendFd sends the message t followed by fd (SCM_RIGHTS). The caller keeps
// its own copy of fd. The peer must read the message with Recv/Expect and
// then the fd with RecvFd: a plain read would drop the fd.
func (c *Conn) SendFd(t Type, fd int) error {
	if err := c.Send(t, nil); err != nil {
		return err
	}
	rc, err := c.f.SyscallConn()
	if err != nil {
		return fmt.Errorf("send fd: %w", err)
	}
	var serr error
	if err := rc.Write(func(sfd uintptr) bool {
		for {
			serr = unix.Sendmsg(int(sfd), []byte{fdMarker}, unix.UnixRights(fd), nil, 0)
			if serr != unix.EINTR {
				return serr != unix.EAGAIN
			}
		}
	}); err != nil {
		return fmt.Errorf("send fd: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("send fd: sendmsg: %w", serr)
	}
	return nil
}

// RecvFd receives the fd that SendFd sent after its message. The fd is
// close-on-exec and owned by the caller.
func (c *Conn) RecvFd() (int, error) {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("receive fd: %w", err)
	}
	var (
		buf  [1]byte
		oob  = make([]byte, unix.CmsgSpace(4))
		n    int
		oobn int
		rerr error
	)
	if err := rc.Read(func(sfd uintptr) bool {
		for {
			n, oobn, _, _, rerr = unix.Recvmsg(int(sfd), buf[:], oob, unix.MSG_CMSG_CLOEXEC)
			if rerr != unix.EINTR {
				return rerr != unix.EAGAIN
			}
		}
	}); err != nil {
		return -1, fmt.Errorf("receive fd: %w", err)
	}
	if rerr != nil {
		return -1, fmt.Errorf("receive fd: recvmsg: %w", rerr)
	}
	if n == 0 {
		return -1, fmt.Errorf("receive fd: %w", io.EOF)
	}
	fds, err := parseRights(oob[:oobn])
	if err != nil {
		return -1, fmt.Errorf("receive fd: %w", err)
	}
	if buf[0] != fdMarker || len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return -1, fmt.Errorf("receive fd: got byte %q with %d fds, want %q with 1", buf[0], len(fds), fdMarker)
	}
	return fds[0], nil
}

func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

// LogWriter returns a writer for a slog JSON handler: every Write is one log
// entry and is sent as a TypeLog message.
func (c *Conn) LogWriter() io.Writer { return logWriter{c} }

type logWriter struct{ c *Conn }

func (w logWriter) Write(p []byte) (int, error) {
	raw, err := json.Marshal(&Message{Type: TypeLog, Payload: json.RawMessage(trimNewline(p))})
	if err != nil {
		return 0, err
	}
	if err := w.c.WriteFrame(raw); err != nil {
		return 0, err
	}
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
