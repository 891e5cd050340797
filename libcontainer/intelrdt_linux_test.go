package libcontainer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// delete removes the recorded resctrl group (empty directories stand in
// for resctrl's, which rmdir removes with their files) unless it is a
// shared closID group, and is repeatable.
func TestDestroyIntelRdtRemovesOnlyTheContainersOwnGroup(t *testing.T) {
	root := t.TempDir()
	own, shared := filepath.Join(root, "c1"), filepath.Join(root, "gold")
	mon := filepath.Join(shared, "mon_groups", "c2")
	require.NoError(t, os.MkdirAll(own, 0o755))
	require.NoError(t, os.MkdirAll(mon, 0o755))

	require.NoError(t, destroyIntelRdt(&State{IntelRdt: &IntelRdtGroup{Path: own, Owned: true}}))
	require.NoDirExists(t, own)
	require.NoError(t, destroyIntelRdt(&State{IntelRdt: &IntelRdtGroup{Path: own, Owned: true}}), "delete is repeatable")

	require.NoError(t, destroyIntelRdt(&State{IntelRdt: &IntelRdtGroup{Path: shared, MonPath: mon}}))
	require.NoDirExists(t, mon)
	require.DirExists(t, shared)

	require.NoError(t, destroyIntelRdt(&State{}))
	require.NoError(t, destroyIntelRdt(nil))
}
