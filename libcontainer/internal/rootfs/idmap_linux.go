package rootfs

import (
	"fmt"
	"log/slog"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// IDMapped reports whether m is an idmapped mount, and how: "idmap",
// "ridmap" or uidMappings/gidMappings on the mount (which, as in runc,
// imply "idmap"). tree says the source's submounts come along (rbind);
// recursive says the idmapping reaches them too (ridmap), as in runc:
// "bind,ridmap" clones one mount, "rbind,idmap" idmaps only its top.
func IDMapped(m *specs.Mount) (idmapped, tree, recursive bool) {
	idmapped = len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0
	for _, o := range m.Options {
		switch o {
		case "idmap":
			idmapped = true
		case "ridmap":
			idmapped, recursive = true, true
		case "rbind":
			tree = true
		}
	}
	return idmapped, tree, recursive
}

// IDMappedIndexes lists the indexes of the idmapped mounts of s, in order:
// the runtime parent sends one detached mount per index, in this order.
func IDMappedIndexes(s *specs.Spec) []int {
	var idx []int
	for i := range s.Mounts {
		if ok, _, _ := IDMapped(&s.Mounts[i]); ok {
			idx = append(idx, i)
		}
	}
	return idx
}

// mountIndex performs Spec.Mounts[i], from its detached mount if the
// runtime made one (idmapped mounts; bind sources of a container with a
// user namespace).
func (st *setup) mountIndex(i int) error {
	m := &st.o.Spec.Mounts[i]
	fd, ok := st.o.IDMapped[i]
	if idmapped, _, _ := IDMapped(m); !idmapped && !ok {
		return st.mount(m)
	}
	if !ok {
		return fmt.Errorf("mounts[%d]: idmapped mount of %s on %s: no detached mount was prepared for it", i, m.Source, m.Destination)
	}
	defer unix.Close(fd)
	return st.mountDetached(m, fd)
}

// mountDetached moves the detached mount fd (open_tree + mount_setattr,
// made by the runtime parent in the host's namespaces) onto m's
// destination, resolved inside the rootfs like any other mount, then
// applies the options a bind mount takes afterwards.
func (st *setup) mountDetached(m *specs.Mount, fd int) error {
	dest := cleanDest(m.Destination)
	mo, err := parseMountOptions(m.Options)
	if err != nil {
		return fmt.Errorf("mount %s on %s: %w", m.Type, dest, err)
	}
	if err := st.checkProcDest(m, dest, mo); err != nil {
		return err
	}
	var fst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil {
		return fmt.Errorf("idmapped mount of %s on %s: fstat detached mount: %w", m.Source, dest, err)
	}
	h, err := st.bindDest(m, dest, fst.Mode&unix.S_IFMT == unix.S_IFDIR, mo)
	if err != nil {
		return err
	}
	defer h.Close()
	st.log.Debug("move idmapped mount", slog.String("source", m.Source), slog.String("dest", dest),
		slog.Bool("recursive", mo.RecursiveIDMap))
	// move_mount is not in the Syscall interface: it needs the detached
	// fd only the runtime parent can make, so the recording fake could
	// not exercise it anyway; the integration tests do.
	if err := unix.MoveMount(fd, "", int(h.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("move idmapped mount of %s onto %s: %w", m.Source, dest, os.NewSyscallError("move_mount", err))
	}
	return st.finishBind(dest, mo)
}
