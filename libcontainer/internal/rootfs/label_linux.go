package rootfs

import "github.com/gocontainer/gocontainer/libcontainer/internal/selinux"

// labelData adds Options.MountLabel to the data of a fresh mount of
// fstype when that filesystem takes an SELinux context.
func (st *setup) labelData(fstype, data string) string {
	if st.o.MountLabel == "" || !selinux.TakesMountLabel(fstype) {
		return data
	}
	return selinux.FormatMountLabel(data, st.o.MountLabel)
}
