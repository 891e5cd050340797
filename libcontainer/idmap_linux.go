package libcontainer

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/libcontainer/internal/channel"
	"github.com/gocontainer/gocontainer/libcontainer/internal/idmap"
	"github.com/gocontainer/gocontainer/libcontainer/internal/rootfs"
	"golang.org/x/sys/unix"
)

// typeIDMappedMount: runtime -> init, right after the config, one per
// idmapped mount in the order of rootfs.IDMappedIndexes; the detached
// mount fd follows (SendFd/RecvFd).
const typeIDMappedMount channel.Type = "idmapped_mount"

// typeDetachedList: runtime -> init, before the detached mounts of a
// container with a user namespace: the indexes in spec.Mounts that a
// detached mount follows for (the idmapped ones and the bind mounts whose
// source the runtime opened; see cloneBindSources).
const typeDetachedList channel.Type = "detached_mounts"

// checkIDMapMounts applies runtime-spec's rules for idmapped mounts
// (config.md, "idmap"/"ridmap"), before anything is created: bind mounts
// only (runc: "id-mapped mounts are only supported for bind-mounts"), and
// without mappings of its own the mount borrows the container's user
// namespace mappings, so the container must have one ("an error MUST be
// returned").
func checkIDMapMounts(s *specs.Spec) error {
	for _, i := range rootfs.IDMappedIndexes(s) {
		m := &s.Mounts[i]
		if !isBindMount(m) {
			return fmt.Errorf("mounts[%d]: idmapped mounts are only supported for bind mounts (type %q, destination %s)", i, m.Type, m.Destination)
		}
		if len(m.UIDMappings) == 0 && len(m.GIDMappings) == 0 && !hasNamespace(s.Linux, specs.UserNamespace) {
			return fmt.Errorf("mounts[%d]: idmap without uidMappings/gidMappings uses the container's user namespace mappings, but linux.namespaces has no user namespace", i)
		}
	}
	return nil
}

func isBindMount(m *specs.Mount) bool {
	if m.Type == "bind" {
		return true
	}
	for _, o := range m.Options {
		if o == "bind" || o == "rbind" {
			return true
		}
	}
	return false
}

// idmapMounts are the detached, idmapped mounts the runtime parent made
// for the init, by index in spec.Mounts.
type idmapMounts struct {
	order []int
	fds   map[int]*os.File
}

// prepareIDMapMounts clones and idmaps the source of every idmapped mount
// in the host's mount namespace, where the runtime holds the privilege the
// kernel asks for (CAP_SYS_ADMIN over the source filesystem's user
// namespace), which the init, in the container's user namespace, does not.
// Mounts with the same mappings share one user namespace.
func prepareIDMapMounts(s *specs.Spec, bundle string, log *slog.Logger) (*idmapMounts, error) {
	im := &idmapMounts{order: rootfs.IDMappedIndexes(s), fds: map[int]*os.File{}}
	if len(im.order) == 0 {
		return im, nil
	}
	userns := map[string]*os.File{}
	defer func() {
		for _, f := range userns {
			f.Close()
		}
	}()
	for _, i := range im.order {
		m := &s.Mounts[i]
		_, tree, recursive := rootfs.IDMapped(m)
		ns, err := mountUserNS(s, m, userns)
		if err != nil {
			im.Close()
			return nil, fmt.Errorf("mounts[%d]: %w", i, err)
		}
		src := m.Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(bundle, src)
		}
		log.Debug("idmap mount source", slog.Int("mount", i), slog.String("source", src),
			slog.Bool("tree", tree), slog.Bool("recursive", recursive))
		f, err := idmap.Clone(src, int(ns.Fd()), tree, recursive)
		if err != nil {
			im.Close()
			return nil, fmt.Errorf("mounts[%d]: %w", i, err)
		}
		im.fds[i] = f
	}
	return im, nil
}

// cloneBindSources opens the source of every plain bind mount of a
// container with a user namespace as a detached mount (open_tree
// OPEN_TREE_CLONE), here in the host's namespaces, as runc 1.2+ does: the
// init, once in the user namespace, may not be able to reach the source
// at all (a directory only the host's root may search), and fails with
// "permission denied". A source that cannot be cloned (rootless, where
// the runtime may not clone its mounts; a missing path) is left to the
// init, which binds it by path and reports what is wrong.
func (im *idmapMounts) cloneBindSources(s *specs.Spec, bundle string, log *slog.Logger) {
	if !hasNamespace(s.Linux, specs.UserNamespace) {
		return
	}
	for i := range s.Mounts {
		m := &s.Mounts[i]
		if _, ok := im.fds[i]; ok || !isBindMount(m) || m.Source == "" {
			continue
		}
		src := m.Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(bundle, src)
		}
		_, tree, _ := rootfs.IDMapped(m)
		flags := unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC
		if tree {
			flags |= unix.AT_RECURSIVE
		}
		fd, err := unix.OpenTree(unix.AT_FDCWD, src, uint(flags))
		if err != nil {
			log.Debug("bind source left to the init", slog.Int("mount", i), slog.String("source", src), slog.Any("error", err))
			continue
		}
		log.Debug("bind source opened in the host's namespaces", slog.Int("mount", i), slog.String("source", src), slog.Bool("tree", tree))
		im.fds[i] = os.NewFile(uintptr(fd), src)
		im.order = append(im.order, i)
	}
	slices.Sort(im.order)
}

// mountUserNS returns the user namespace whose mappings m uses: its own
// uidMappings/gidMappings, or else the container's (the namespace it joins,
// or a new one with linux.uidMappings/gidMappings).
func mountUserNS(s *specs.Spec, m *specs.Mount, cache map[string]*os.File) (*os.File, error) {
	uids, gids := m.UIDMappings, m.GIDMappings
	if len(uids) == 0 && len(gids) == 0 {
		for _, ns := range s.Linux.Namespaces {
			if ns.Type == specs.UserNamespace && ns.Path != "" {
				if f, ok := cache["path:"+ns.Path]; ok {
					return f, nil
				}
				f, err := os.Open(ns.Path)
				if err != nil {
					return nil, fmt.Errorf("idmap with the container's user namespace: %w", err)
				}
				cache["path:"+ns.Path] = f
				return f, nil
			}
		}
		uids, gids = s.Linux.UIDMappings, s.Linux.GIDMappings
	}
	key := idmap.Key(uids, gids)
	if f, ok := cache[key]; ok {
		return f, nil
	}
	f, err := idmap.UserNS(uids, gids)
	if err != nil {
		return nil, err
	}
	cache[key] = f
	return f, nil
}

// send hands the detached mounts to the init, in order; with a user
// namespace (userns) their indexes go first.
func (im *idmapMounts) send(conn *channel.Conn, userns bool) error {
	if userns {
		if err := conn.Send(typeDetachedList, im.order); err != nil {
			return fmt.Errorf("send detached mount list to container init: %w", err)
		}
	}
	for _, i := range im.order {
		if err := conn.SendFd(typeIDMappedMount, int(im.fds[i].Fd())); err != nil {
			return fmt.Errorf("send idmapped mount of mounts[%d] to container init: %w", i, err)
		}
	}
	return nil
}

// Close releases the runtime's copies; the init holds its own.
func (im *idmapMounts) Close() {
	if im == nil {
		return
	}
	for _, f := range im.fds {
		f.Close()
	}
}

// recvIDMapMounts is the init's side of send: the detached mount fd of
// every idmapped mount of s, by mount index, for rootfs.Options.IDMapped.
func recvIDMapMounts(conn *channel.Conn, s *specs.Spec) (map[int]int, error) {
	idx := rootfs.IDMappedIndexes(s)
	if hasNamespace(s.Linux, specs.UserNamespace) {
		m, err := conn.Expect(typeDetachedList)
		if err != nil {
			return nil, fmt.Errorf("receive detached mount list: %w", err)
		}
		idx = nil
		if len(m.Payload) > 0 {
			if err := json.Unmarshal(m.Payload, &idx); err != nil {
				return nil, fmt.Errorf("decode detached mount list: %w", err)
			}
		}
	}
	if len(idx) == 0 {
		return nil, nil
	}
	fds := make(map[int]int, len(idx))
	for _, i := range idx {
		if _, err := conn.Expect(typeIDMappedMount); err != nil {
			return nil, fmt.Errorf("mounts[%d]: receive idmapped mount: %w", i, err)
		}
		fd, err := conn.RecvFd()
		if err != nil {
			return nil, fmt.Errorf("mounts[%d]: receive idmapped mount: %w", i, err)
		}
		fds[i] = fd
	}
	return fds, nil
}
