package integration

import (
	"testing"
)

func TestKillAllSignalZeroOfAStoppedContainerSucceeds(t *testing.T) {
	r := newRuntime(t)
	b := newBundle(t, baseSpec("true"))
	id := "killall0"
	r.deleteOnCleanup(t, id)
	r.ok(t, "create", "--bundle", b.dir, id)
	r.ok(t, "start", id)
	r.waitStatus(t, id, "stopped")
	r.ok(t, "kill", "--all", id, "0")
}
