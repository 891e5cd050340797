package rootfs

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// mountOptions is an OCI mount's options list, parsed the way mount(8) and
// runc do.
type mountOptions struct {
	// Flags are the mount(2) flags to set.
	Flags uintptr
	// Cleared are flags an option explicitly turned off ("rw", "suid"...);
	// kept so a bind remount knows the user asked for them to be off.
	Cleared uintptr
	// Propagation are the propagation changes, applied one by one after the
	// mount, in the order given.
	Propagation []uintptr
	// Data is the filesystem-specific data: every option we do not know,
	// in order, comma-joined.
	Data string
	// RecAttr holds the recursive mount_setattr(2) attributes ("rro", ...).
	RecAttr *unix.MountAttr
	// TmpCopyUp is runc's "tmpcopyup" extension for tmpfs.
	TmpCopyUp bool
	// IDMap and RecursiveIDMap are the "idmap" and "ridmap" options: the
	// runtime parent idmaps the source (see IDMapped) and the init moves
	// the detached mount into place instead of binding the source.
	IDMap, RecursiveIDMap bool
}

type flagOpt struct {
	clear bool
	flag  uintptr
}

// mount(8)'s filesystem-independent options.
var flagOptions = map[string]flagOpt{
	"async":         {true, unix.MS_SYNCHRONOUS},
	"atime":         {true, unix.MS_NOATIME},
	"bind":          {false, unix.MS_BIND},
	"defaults":      {false, 0},
	"dev":           {true, unix.MS_NODEV},
	"diratime":      {true, unix.MS_NODIRATIME},
	"dirsync":       {false, unix.MS_DIRSYNC},
	"exec":          {true, unix.MS_NOEXEC},
	"iversion":      {false, unix.MS_I_VERSION},
	"lazytime":      {false, unix.MS_LAZYTIME},
	"loud":          {true, unix.MS_SILENT},
	"mand":          {false, unix.MS_MANDLOCK},
	"noatime":       {false, unix.MS_NOATIME},
	"nodev":         {false, unix.MS_NODEV},
	"nodiratime":    {false, unix.MS_NODIRATIME},
	"noexec":        {false, unix.MS_NOEXEC},
	"noiversion":    {true, unix.MS_I_VERSION},
	"nolazytime":    {true, unix.MS_LAZYTIME},
	"nomand":        {true, unix.MS_MANDLOCK},
	"norelatime":    {true, unix.MS_RELATIME},
	"nostrictatime": {true, unix.MS_STRICTATIME},
	"nosuid":        {false, unix.MS_NOSUID},
	"nosymfollow":   {false, unix.MS_NOSYMFOLLOW},
	"rbind":         {false, unix.MS_BIND | unix.MS_REC},
	"relatime":      {false, unix.MS_RELATIME},
	"remount":       {false, unix.MS_REMOUNT},
	"ro":            {false, unix.MS_RDONLY},
	"rw":            {true, unix.MS_RDONLY},
	"silent":        {false, unix.MS_SILENT},
	"strictatime":   {false, unix.MS_STRICTATIME},
	"suid":          {true, unix.MS_NOSUID},
	"symfollow":     {true, unix.MS_NOSYMFOLLOW},
	"sync":          {false, unix.MS_SYNCHRONOUS},
}

var propagationOptions = map[string]uintptr{
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

type recAttrOpt struct {
	clear bool
	attr  uint64
}

// runc's recursive options, applied with mount_setattr(AT_RECURSIVE).
// The atime ones are a 3-state field (MOUNT_ATTR__ATIME) and are handled
// specially in parseMountOptions.
var recAttrOptions = map[string]recAttrOpt{
	"rro":          {false, unix.MOUNT_ATTR_RDONLY},
	"rrw":          {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid":      {false, unix.MOUNT_ATTR_NOSUID},
	"rsuid":        {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev":       {false, unix.MOUNT_ATTR_NODEV},
	"rdev":         {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec":      {false, unix.MOUNT_ATTR_NOEXEC},
	"rexec":        {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime":  {false, unix.MOUNT_ATTR_NODIRATIME},
	"rdiratime":    {true, unix.MOUNT_ATTR_NODIRATIME},
	"rnosymfollow": {false, unix.MOUNT_ATTR_NOSYMFOLLOW},
	"rsymfollow":   {true, unix.MOUNT_ATTR_NOSYMFOLLOW},
}

// The atime mode is one 3-state field, so each option selects a mode.
// "norelatime" and "nostrictatime" only withdraw a request, which leaves
// the kernel's default atime mode, relatime (mount(2): relatime unless
// MS_STRICTATIME or MS_NOATIME is given; youki's reading too). runc maps
// them to an attr_clr of one atime bit, which the kernel ignores for
// relatime (value 0) and refuses with EINVAL for strictatime (attr_clr
// must hold all of MOUNT_ATTR__ATIME, mount_setattr(2)).
var recAtimeOptions = map[string]uint64{
	"rrelatime":      unix.MOUNT_ATTR_RELATIME,
	"rnoatime":       unix.MOUNT_ATTR_NOATIME,
	"rstrictatime":   unix.MOUNT_ATTR_STRICTATIME,
	"rnorelatime":    unix.MOUNT_ATTR_RELATIME,
	"rnostrictatime": unix.MOUNT_ATTR_RELATIME,
}

// parseMountOptions turns an OCI options list into flags, propagation, data
// and extensions. Later options override earlier ones ("ro,rw" is rw), as
// with mount(8). Unknown options become data.
func parseMountOptions(options []string) (mountOptions, error) {
	var (
		mo   mountOptions
		data []string
	)
	for _, o := range options {
		if f, ok := flagOptions[o]; ok {
			if f.clear {
				mo.Flags &^= f.flag
				mo.Cleared |= f.flag
			} else {
				mo.Flags |= f.flag
				mo.Cleared &^= f.flag
			}
			continue
		}
		if p, ok := propagationOptions[o]; ok {
			mo.Propagation = append(mo.Propagation, p)
			continue
		}
		if a, ok := recAttrOptions[o]; ok {
			if mo.RecAttr == nil {
				mo.RecAttr = &unix.MountAttr{}
			}
			if a.clear {
				mo.RecAttr.Attr_set &^= a.attr
				mo.RecAttr.Attr_clr |= a.attr
			} else {
				mo.RecAttr.Attr_set |= a.attr
				mo.RecAttr.Attr_clr &^= a.attr
			}
			continue
		}
		if a, ok := recAtimeOptions[o]; ok {
			if mo.RecAttr == nil {
				mo.RecAttr = &unix.MountAttr{}
			}
			// The atime mode is one field: clear it whole, then set it.
			mo.RecAttr.Attr_clr |= unix.MOUNT_ATTR__ATIME
			mo.RecAttr.Attr_set = mo.RecAttr.Attr_set&^unix.MOUNT_ATTR__ATIME | a
			continue
		}
		switch o {
		case "tmpcopyup":
			mo.TmpCopyUp = true
			continue
		case "ratime":
			if mo.RecAttr == nil {
				mo.RecAttr = &unix.MountAttr{}
			}
			// "atime" only undoes noatime; the kernel's default mode is
			// relatime (MOUNT_ATTR_RELATIME is 0), so select that.
			mo.RecAttr.Attr_clr |= unix.MOUNT_ATTR__ATIME
			mo.RecAttr.Attr_set &^= unix.MOUNT_ATTR__ATIME
			continue
		case "idmap":
			mo.IDMap = true
			continue
		case "ridmap":
			mo.IDMap, mo.RecursiveIDMap = true, true
			continue
		case "":
			return mountOptions{}, fmt.Errorf("empty mount option")
		}
		if strings.ContainsRune(o, 0) {
			return mountOptions{}, fmt.Errorf("mount option %q contains a NUL byte", o)
		}
		data = append(data, o)
	}
	mo.Data = strings.Join(data, ",")
	return mo, nil
}

// propagationMask are all the propagation-type bits.
const propagationMask = unix.MS_SHARED | unix.MS_PRIVATE | unix.MS_SLAVE | unix.MS_UNBINDABLE

// rootPropagation parses linux.rootfsPropagation; "" means the runc default
// (MS_SLAVE|MS_REC) and ok=false.
func rootPropagation(s string) (flags uintptr, set bool, err error) {
	if s == "" {
		return unix.MS_SLAVE | unix.MS_REC, false, nil
	}
	p, ok := propagationOptions[s]
	if !ok {
		return 0, false, fmt.Errorf("linux.rootfsPropagation: unknown propagation %q", s)
	}
	return p, true, nil
}

// MountOptionNames lists every mount option Prepare understands (for the
// features command), sorted.
func MountOptionNames() []string {
	names := []string{"tmpcopyup", "idmap", "ridmap"}
	for n := range flagOptions {
		names = append(names, n)
	}
	for n := range propagationOptions {
		names = append(names, n)
	}
	for n := range recAttrOptions {
		names = append(names, n)
	}
	for n := range recAtimeOptions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
