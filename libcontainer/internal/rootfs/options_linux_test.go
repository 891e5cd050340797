package rootfs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestParseMountOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    []string
		flags   uintptr
		prop    []uintptr
		data    string
		copyUp  bool
		wantErr string
	}{
		{name: "empty", opts: nil},
		{name: "ro nosuid nodev noexec", opts: []string{"ro", "nosuid", "nodev", "noexec"},
			flags: unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC},
		{name: "later rw overrides ro", opts: []string{"ro", "rw"}, flags: 0},
		{name: "later ro overrides rw", opts: []string{"rw", "ro"}, flags: unix.MS_RDONLY},
		{name: "suid clears nosuid", opts: []string{"nosuid", "suid"}},
		{name: "dev exec clear", opts: []string{"nodev", "noexec", "dev", "exec"}},
		{name: "sync async", opts: []string{"sync", "async"}},
		{name: "sync", opts: []string{"sync"}, flags: unix.MS_SYNCHRONOUS},
		{name: "dirsync remount mand", opts: []string{"dirsync", "remount", "mand"}, flags: unix.MS_DIRSYNC | unix.MS_REMOUNT | unix.MS_MANDLOCK},
		{name: "nomand", opts: []string{"mand", "nomand"}},
		{name: "atime family", opts: []string{"noatime", "nodiratime", "relatime", "strictatime"},
			flags: unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_STRICTATIME},
		{name: "atime clears", opts: []string{"noatime", "nodiratime", "relatime", "strictatime", "atime", "diratime", "norelatime", "nostrictatime"}},
		{name: "bind", opts: []string{"bind"}, flags: unix.MS_BIND},
		{name: "rbind", opts: []string{"rbind"}, flags: unix.MS_BIND | unix.MS_REC},
		{name: "propagation in order", opts: []string{"rbind", "rprivate", "shared", "rslave", "unbindable", "runbindable", "slave", "private", "rshared"},
			flags: unix.MS_BIND | unix.MS_REC,
			prop: []uintptr{unix.MS_PRIVATE | unix.MS_REC, unix.MS_SHARED, unix.MS_SLAVE | unix.MS_REC, unix.MS_UNBINDABLE,
				unix.MS_UNBINDABLE | unix.MS_REC, unix.MS_SLAVE, unix.MS_PRIVATE, unix.MS_SHARED | unix.MS_REC}},
		{name: "data passed through in order", opts: []string{"nosuid", "mode=755", "size=65536k", "strictatime"},
			flags: unix.MS_NOSUID | unix.MS_STRICTATIME, data: "mode=755,size=65536k"},
		{name: "devpts data", opts: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
			flags: unix.MS_NOSUID | unix.MS_NOEXEC, data: "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{name: "tmpcopyup", opts: []string{"tmpcopyup"}, copyUp: true},
		{name: "defaults", opts: []string{"defaults"}},
		{name: "empty option refused", opts: []string{""}, wantErr: "empty mount option"},
		{name: "nul refused", opts: []string{"a\x00b"}, wantErr: "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mo, err := parseMountOptions(tt.opts)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.flags, mo.Flags, "flags")
			require.Equal(t, tt.prop, mo.Propagation, "propagation")
			require.Equal(t, tt.data, mo.Data, "data")
			require.Equal(t, tt.copyUp, mo.TmpCopyUp, "tmpcopyup")
		})
	}
}

func TestParseMountOptionsRecursiveAttrs(t *testing.T) {
	mo, err := parseMountOptions([]string{"rbind", "rro", "rnosuid", "rnodev", "rnoexec", "rnoatime"})
	require.NoError(t, err)
	require.NotNil(t, mo.RecAttr)
	require.Equal(t, uint64(unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC|unix.MOUNT_ATTR_NOATIME), mo.RecAttr.Attr_set)
	require.Equal(t, uint64(unix.MOUNT_ATTR__ATIME), mo.RecAttr.Attr_clr)

	mo, err = parseMountOptions([]string{"rro", "rrw"})
	require.NoError(t, err)
	require.Equal(t, uint64(0), mo.RecAttr.Attr_set)
	require.Equal(t, uint64(unix.MOUNT_ATTR_RDONLY), mo.RecAttr.Attr_clr)
}

func TestParseMountOptionsIDMap(t *testing.T) {
	tests := []struct {
		opts           []string
		idmap, recurse bool
	}{
		{[]string{"bind"}, false, false},
		{[]string{"bind", "idmap"}, true, false},
		{[]string{"rbind", "ridmap"}, true, true},
	}
	for _, tt := range tests {
		mo, err := parseMountOptions(tt.opts)
		require.NoError(t, err)
		require.Equal(t, tt.idmap, mo.IDMap, "%v", tt.opts)
		require.Equal(t, tt.recurse, mo.RecursiveIDMap, "%v", tt.opts)
		require.Empty(t, mo.Data, "idmap must never reach mount(2) data")
	}
}

// Every atime option selects one whole mode: attr_clr always holds all of
// MOUNT_ATTR__ATIME, or the kernel refuses the call (mount_setattr(2)).
func TestParseMountOptionsRecursiveAtime(t *testing.T) {
	for opt, want := range map[string]uint64{
		"rnoatime": unix.MOUNT_ATTR_NOATIME, "rstrictatime": unix.MOUNT_ATTR_STRICTATIME,
		"rrelatime": unix.MOUNT_ATTR_RELATIME, "ratime": unix.MOUNT_ATTR_RELATIME,
		"rnorelatime": unix.MOUNT_ATTR_RELATIME, "rnostrictatime": unix.MOUNT_ATTR_RELATIME,
	} {
		mo, err := parseMountOptions([]string{"rbind", opt})
		require.NoError(t, err, opt)
		require.NotNil(t, mo.RecAttr, opt)
		require.Equal(t, uint64(unix.MOUNT_ATTR__ATIME), mo.RecAttr.Attr_clr, opt)
		require.Equal(t, want, mo.RecAttr.Attr_set, opt)
		require.Empty(t, mo.Data, opt)
	}
}

func TestRootPropagation(t *testing.T) {
	f, set, err := rootPropagation("")
	require.NoError(t, err)
	require.False(t, set)
	require.Equal(t, uintptr(unix.MS_SLAVE|unix.MS_REC), f)

	f, set, err = rootPropagation("rshared")
	require.NoError(t, err)
	require.True(t, set)
	require.Equal(t, uintptr(unix.MS_SHARED|unix.MS_REC), f)

	_, _, err = rootPropagation("bogus")
	require.ErrorContains(t, err, `linux.rootfsPropagation: unknown propagation "bogus"`)
}

func FuzzParseMountOptions(f *testing.F) {
	f.Add("ro,nosuid,mode=755")
	f.Add("rbind,rprivate,rro")
	f.Add("rw,ro,tmpcopyup,size=1k")
	f.Fuzz(func(t *testing.T, s string) {
		opts := strings.Split(s, ",")
		mo, err := parseMountOptions(opts)
		if err != nil {
			return
		}
		// Known options never leak into data, and data only holds
		// options that were given.
		for _, d := range strings.Split(mo.Data, ",") {
			if d == "" {
				continue
			}
			_, isFlag := flagOptions[d]
			_, isProp := propagationOptions[d]
			require.False(t, isFlag || isProp, "known option %q in data %q", d, mo.Data)
			require.Contains(t, opts, d)
		}
		// Only mount(2) flag bits from the table can be set.
		var all uintptr
		for _, fo := range flagOptions {
			all |= fo.flag
		}
		require.Zero(t, mo.Flags&^all)
		require.Zero(t, mo.Flags&mo.Cleared, "a flag is both set and cleared")
		// The last of ro/rw decides.
		last := ""
		for _, o := range opts {
			if o == "ro" || o == "rw" {
				last = o
			}
		}
		if last != "" {
			require.Equal(t, last == "ro", mo.Flags&unix.MS_RDONLY != 0)
		}
	})
}
