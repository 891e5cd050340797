package channel

import (
	"io"
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
