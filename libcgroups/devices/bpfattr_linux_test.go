package devices

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// The attr structs must have union bpf_attr's member layout
// (include/uapi/linux/bpf.h) on every architecture.
func TestBPFAttrLayout(t *testing.T) {
	require.EqualValues(t, 8, unsafe.Sizeof(ptr{}), "__aligned_u64")

	var l progLoadAttr
	require.EqualValues(t, 0, unsafe.Offsetof(l.progType))
	require.EqualValues(t, 4, unsafe.Offsetof(l.insnCnt))
	require.EqualValues(t, 8, unsafe.Offsetof(l.insns))
	require.EqualValues(t, 16, unsafe.Offsetof(l.license))
	require.EqualValues(t, 24, unsafe.Offsetof(l.logLevel))
	require.EqualValues(t, 28, unsafe.Offsetof(l.logSize))
	require.EqualValues(t, 32, unsafe.Offsetof(l.logBuf))
	require.EqualValues(t, 40, unsafe.Offsetof(l.kernVersion))
	require.EqualValues(t, 44, unsafe.Offsetof(l.progFlags))
	require.EqualValues(t, 48, unsafe.Offsetof(l.progName))
	require.EqualValues(t, 64, unsafe.Sizeof(l))

	var a progAttachAttr
	require.EqualValues(t, 0, unsafe.Offsetof(a.targetFD))
	require.EqualValues(t, 4, unsafe.Offsetof(a.attachBPFFD))
	require.EqualValues(t, 8, unsafe.Offsetof(a.attachType))
	require.EqualValues(t, 12, unsafe.Offsetof(a.attachFlags))
	require.EqualValues(t, 16, unsafe.Offsetof(a.replaceBPFFD))
	require.EqualValues(t, 20, unsafe.Sizeof(a))

	var q progQueryAttr
	require.EqualValues(t, 0, unsafe.Offsetof(q.targetFD))
	require.EqualValues(t, 4, unsafe.Offsetof(q.attachType))
	require.EqualValues(t, 8, unsafe.Offsetof(q.queryFlags))
	require.EqualValues(t, 12, unsafe.Offsetof(q.attachFlags))
	require.EqualValues(t, 16, unsafe.Offsetof(q.progIDs))
	require.EqualValues(t, 24, unsafe.Offsetof(q.progCnt))
	require.EqualValues(t, 32, unsafe.Sizeof(q))

	var g getFDByIDAttr
	require.EqualValues(t, 0, unsafe.Offsetof(g.progID))
	require.EqualValues(t, 4, unsafe.Offsetof(g.nextID))
	require.EqualValues(t, 8, unsafe.Offsetof(g.openFlags))
	require.EqualValues(t, 12, unsafe.Sizeof(g))
}
