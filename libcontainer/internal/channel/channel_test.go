package channel

import (
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestRoundTripTypedMessages(t *testing.T) {
	p, c, err := Pair()
	require.NoError(t, err)
	defer p.Close()
	defer c.Close()

	type payload struct{ N int }
	require.NoError(t, p.Send(TypeConfig, payload{N: 7}))
	m, err := c.Expect(TypeConfig)
	require.NoError(t, err)
	require.JSONEq(t, `{"N":7}`, string(m.Payload))

	require.NoError(t, c.SendError(NewInitError("mount /proc", unix.EPERM)))
	_, err = p.Expect(TypeReady)
	require.ErrorIs(t, err, unix.EPERM)
	require.Equal(t, "mount /proc: operation not permitted", err.Error())
}

func TestPeerCloseIsEOF(t *testing.T) {
	p, c, err := Pair()
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, c.Close())
	_, err = p.Recv()
	require.ErrorIs(t, err, io.EOF)
}

func TestUnexpectedTypeIsAnError(t *testing.T) {
	p, c, err := Pair()
	require.NoError(t, err)
	defer p.Close()
	defer c.Close()
	require.NoError(t, p.Send(TypeHooks, nil))
	_, err = c.Expect(TypeReady)
	require.ErrorContains(t, err, `unexpected "hooks" message`)
}

func TestOversizedFrameIsRefused(t *testing.T) {
	p, c, err := Pair()
	require.NoError(t, err)
	defer p.Close()
	defer c.Close()
	_, err = p.File().Write([]byte{0xff, 0xff, 0xff, 0xff})
	require.NoError(t, err)
	_, err = c.ReadFrame()
	require.ErrorContains(t, err, "exceeds")
}

func TestLogWriterSendsOneMessagePerEntry(t *testing.T) {
	p, c, err := Pair()
	require.NoError(t, err)
	defer p.Close()
	defer c.Close()
	n, err := c.LogWriter().Write([]byte(`{"level":"debug","msg":"mount /proc"}` + "\n"))
	require.NoError(t, err)
	require.Equal(t, len(`{"level":"debug","msg":"mount /proc"}`)+1, n)
	m, err := p.Expect(TypeLog)
	require.NoError(t, err)
	require.JSONEq(t, `{"level":"debug","msg":"mount /proc"}`, string(m.Payload))
}

func TestSendFdPassesTheFileBetweenMessages(t *testing.T) {
	p, c, err := Pair()
	require.NoError(t, err)
	defer p.Close()
	defer c.Close()

	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()

	// A log message before and a message after: the fd must not disturb
	// the framing on either side.
	require.NoError(t, c.Send(TypeLog, map[string]string{"msg": "before"}))
	require.NoError(t, c.SendFd(TypeSeccompFd, int(w.Fd())))
	require.NoError(t, c.Send(TypeReady, nil))

	_, err = p.Expect(TypeLog)
	require.NoError(t, err)
	_, err = p.Expect(TypeSeccompFd)
	require.NoError(t, err)
	fd, err := p.RecvFd()
	require.NoError(t, err)
	got := os.NewFile(uintptr(fd), "received")
	defer got.Close()
	require.NotEqual(t, int(w.Fd()), fd, "a new descriptor, not the sender's number")
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.NoError(t, err)
	require.NotZero(t, flags&unix.FD_CLOEXEC, "received fd must be close-on-exec")

	// The received fd is the pipe's write end.
	_, err = got.Write([]byte("x"))
	require.NoError(t, err)
	buf := make([]byte, 1)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	require.Equal(t, "x", string(buf))

	_, err = p.Expect(TypeReady)
	require.NoError(t, err)
}

func TestRecvFdWithoutFdIsAnError(t *testing.T) {
	p, c, err := Pair()
	require.NoError(t, err)
	defer p.Close()
	defer c.Close()
	// A plain frame where the fd byte should be.
	require.NoError(t, c.Send(TypeReady, nil))
	_, err = p.RecvFd()
	require.ErrorContains(t, err, "with 0 fds")
}
