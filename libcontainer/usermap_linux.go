package libcontainer

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The id maps of a new user namespace are written by the runtime (the
// parent), from outside the namespace. user_namespaces(7), "Defining user
// and group ID mappings": a writer with CAP_SETUID (CAP_SETGID) in the
// parent namespace may write any ranges of ids mapped there; a writer
// without it may only write one line that maps its own effective uid
// (gid), of size 1, and for gid_map only after "deny" was written to
// /proc/PID/setgroups (CVE-2014-8989). Everything else, typically several
// ranges from /etc/subuid and /etc/subgid, goes through the setuid helpers
// newuidmap(1) and newgidmap(1) of shadow-utils (Debian package uidmap),
// which check those files.

// idMapWriter says how the maps of one user namespace are written; a value
// so the choice is unit-tested without being unprivileged.
type idMapWriter struct {
	euid, egid int
	// capSetuid and capSetgid: the runtime holds the capability in its own
	// user namespace, the parent of the container's.
	capSetuid, capSetgid bool
	// lookPath finds newuidmap/newgidmap.
	lookPath func(string) (string, error)
	log      *slog.Logger
}

// idMapPlan is what idMapWriter decides for one of uid_map or gid_map.
type idMapPlan struct {
	// helper is "" for a direct write, else the newuidmap/newgidmap path.
	helper string
	// denySetgroups: write "deny" to /proc/PID/setgroups first (gid_map
	// written directly without CAP_SETGID).
	denySetgroups bool
}

func newIDMapWriter(log *slog.Logger) *idMapWriter {
	w := &idMapWriter{euid: os.Geteuid(), egid: os.Getegid(), lookPath: lookupIDMapHelper, log: log}
	if w.euid == 0 {
		// Root, in the initial or in a user namespace: effective
		// capabilities decide, not the uid (a root with a reduced
		// bounding set, or Podman's uid 0 without CAP_SETUID).
		if caps, err := capability.NewPid2(0); err == nil && caps.Load() == nil {
			w.capSetuid = caps.Get(capability.EFFECTIVE, capability.CAP_SETUID)
			w.capSetgid = caps.Get(capability.EFFECTIVE, capability.CAP_SETGID)
		} else {
			w.capSetuid, w.capSetgid = true, true
		}
	}
	return w
}

// plan decides how file ("uid_map" or "gid_map") gets maps.
func (w *idMapWriter) plan(file string, maps []specs.LinuxIDMapping) (idMapPlan, error) {
	own, capable, helper, field := w.euid, w.capSetuid, "newuidmap", "linux.uidMappings"
	if file == "gid_map" {
		own, capable, helper, field = w.egid, w.capSetgid, "newgidmap", "linux.gidMappings"
	}
	if capable {
		return idMapPlan{}, nil
	}
	if len(maps) == 1 && maps[0].Size == 1 && int64(maps[0].HostID) == int64(own) {
		return idMapPlan{denySetgroups: file == "gid_map"}, nil
	}
	path, err := w.lookPath(helper)
	if err != nil {
		return idMapPlan{}, fmt.Errorf("%s %s: an unprivileged user can only map its own id (%d) alone; other ids need %s (Debian package uidmap) and ranges in /etc/sub%sid: %w",
			field, formatMaps(maps), own, helper, file[:1], err)
	}
	return idMapPlan{helper: path}, nil
}

// write writes the uid and gid maps of process pid, gid_map last as runc
// does (newgidmap may depend on the uid map being set).
func (w *idMapWriter) write(pid int, l *specs.Linux) error {
	for _, f := range []struct {
		file, field string
		maps        []specs.LinuxIDMapping
	}{
		{"uid_map", "linux.uidMappings", l.UIDMappings},
		{"gid_map", "linux.gidMappings", l.GIDMappings},
	} {
		p, err := w.plan(f.file, f.maps)
		if err != nil {
			return err
		}
		if p.denySetgroups {
			path := fmt.Sprintf("/proc/%d/setgroups", pid)
			w.log.Debug("deny setgroups before writing gid_map unprivileged", slog.String("path", path))
			if err := writeProcFile(path, "deny"); err != nil {
				return fmt.Errorf("%s: %w", f.field, err)
			}
		}
		if p.helper != "" {
			args := []string{strconv.Itoa(pid)}
			for _, m := range f.maps {
				args = append(args, strconv.FormatUint(uint64(m.ContainerID), 10),
					strconv.FormatUint(uint64(m.HostID), 10), strconv.FormatUint(uint64(m.Size), 10))
			}
			w.log.Debug("write id map with helper", slog.String("helper", p.helper), slog.Any("args", args))
			cmd := exec.Command(p.helper, args...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s %s: %s %s: %w: %s", f.field, formatMaps(f.maps), p.helper,
					strings.Join(args, " "), err, strings.TrimSpace(out.String()))
			}
			continue
		}
		var sb strings.Builder
		for _, m := range f.maps {
			fmt.Fprintf(&sb, "%d %d %d\n", m.ContainerID, m.HostID, m.Size)
		}
		path := fmt.Sprintf("/proc/%d/%s", pid, f.file)
		w.log.Debug("write id map", slog.String("path", path), slog.String("map", sb.String()))
		if err := writeProcFile(path, sb.String()); err != nil {
			return fmt.Errorf("%s %s: %w", f.field, formatMaps(f.maps), err)
		}
	}
	return nil
}

// writeIDMaps writes the user namespace mappings of the init's first stage.
func writeIDMaps(pid int, l *specs.Linux, log *slog.Logger) error {
	return newIDMapWriter(log).write(pid, l)
}

// writeProcFile writes s to a /proc/PID file in a single write (the kernel
// takes a whole id map, or the setgroups word, in one write only).
func writeProcFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// lookupIDMapHelper finds newuidmap/newgidmap on $PATH, then in /usr/bin
// (a caller such as a systemd unit may run with a minimal PATH).
func lookupIDMapHelper(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := "/usr/bin/" + name
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s not found in $PATH or /usr/bin", name)
	}
	return p, nil
}

func formatMaps(maps []specs.LinuxIDMapping) string {
	if len(maps) == 0 {
		return "[]"
	}
	parts := make([]string, len(maps))
	for i, m := range maps {
		parts[i] = fmt.Sprintf("%d:%d:%d", m.ContainerID, m.HostID, m.Size)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
