package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const (
	stateFile = "state.json"
	// execFifo is the start barrier: the init blocks opening it for
	// writing until start opens it for reading. It exists exactly while
	// the container is "created".
	execFifo = "exec.fifo"
)

// Status is the OCI status of a container, derived on every load.
type Status string

// OCI statuses (runtime-spec "State").
const (
	StatusCreating Status = "creating"
	StatusCreated  Status = "created"
	StatusRunning  Status = "running"
	StatusPaused   Status = "paused"
	StatusStopped  Status = "stopped"
)

// State is what state.json holds: the OCI state fields plus what later
// commands need, so they never re-parse the bundle.
type State struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner,omitempty"`

	// InitPid is the container init in the runtime's pid namespace, 0
	// until it is known. InitStart is its start time in clock ticks since
	// boot (/proc/<pid>/stat field 22), a guard against pid reuse.
	InitPid   int    `json:"init_process_pid"`
	InitStart uint64 `json:"init_process_start"`

	// CgroupsPath is linux.cgroupsPath as given; CgroupPaths the
	// directories created for it, per controller.
	CgroupsPath string            `json:"cgroups_path,omitempty"`
	CgroupPaths map[string]string `json:"cgroup_paths,omitempty"`
	UseSystemd  bool              `json:"use_systemd,omitempty"`
	Rootless    bool              `json:"rootless,omitempty"`

	// Resources are the container cgroup's effective limits: the spec's
	// linux.resources (with the device rules create added) as set at
	// create, then each update merged over them. Update merges onto this
	// copy, never onto a re-read config.json, which may have changed.
	// Kept encoded, like Process: only update reads it, and decoding the
	// resource types cold would cost every start, state, kill and delete
	// about half a millisecond (see recordedResources).
	Resources json.RawMessage `json:"resources,omitempty"`

	// IntelRdt is the resctrl group of linux.intelRdt, removed by delete.
	IntelRdt *IntelRdtGroup `json:"intel_rdt,omitempty"`

	// NamespacePaths maps each namespace type of the container to the
	// path that joins it (for exec).
	NamespacePaths map[specs.LinuxNamespaceType]string `json:"namespace_paths,omitempty"`

	// Poststart and Poststop are the config's hooks that run after create
	// has returned, from other runtime processes.
	Poststart []specs.Hook `json:"poststart,omitempty"`
	Poststop  []specs.Hook `json:"poststop,omitempty"`
	// Process is the config's process, kept encoded: only exec needs it,
	// and decoding the runtime-spec types costs every command's start.
	Process json.RawMessage `json:"process,omitempty"`
	// Created state has been reached: the init finished setting up.
	// Before that a state.json only lets delete -f find what to clean.
	InitReady bool `json:"init_ready"`
}

// ociState converts to the runtime-spec state document (the "state" command
// output and the hooks' stdin).
func (s *State) ociState(status Status) specs.State {
	pid := s.InitPid
	if status == StatusStopped {
		pid = 0
	}
	return specs.State{
		Version:     s.OCIVersion,
		ID:          s.ID,
		Status:      specs.ContainerState(status),
		Pid:         pid,
		Bundle:      s.Bundle,
		Annotations: s.Annotations,
	}
}

// saveState writes state.json atomically: a temp file in the same
// directory, fsync, rename. A reader sees the old or the new file, never a
// torn one, even if the writer is killed.
func saveState(dir string, s *State) error {
	commit, err := prepareState(dir, s)
	if err != nil {
		return err
	}
	return commit(true)
}

// prepareState writes s to a temporary file beside state.json and syncs
// it; commit(true) renames it over state.json, commit(false) drops it. A
// caller that changes the world and then records it (update) prepares
// first: a full or read-only state directory then fails before anything
// changed, and only the rename, which needs no space, is left after.
func prepareState(dir string, s *State) (commit func(keep bool) error, err error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	f, err := os.CreateTemp(dir, ".state-")
	if err != nil {
		return nil, fmt.Errorf("write state: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) (func(bool) error, error) {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	if _, err := f.Write(raw); err != nil {
		return fail(fmt.Errorf("write state %s: %w", tmp, err))
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("sync state %s: %w", tmp, err))
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("close state %s: %w", tmp, err)
	}
	return func(keep bool) error {
		if !keep {
			os.Remove(tmp)
			return nil
		}
		if err := os.Rename(tmp, filepath.Join(dir, stateFile)); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write state: %w", err)
		}
		return nil
	}, nil
}

func loadState(dir string) (*State, error) {
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("decode %s: %w", filepath.Join(dir, stateFile), err)
	}
	return &s, nil
}

// lockDir takes an exclusive flock on the container directory; the lock is
// released when the returned file is closed or the process dies.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotExist
		}
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, &os.PathError{Op: "flock", Path: dir, Err: err}
	}
	return f, nil
}

// recordedResources decodes Resources; nil when none were recorded.
func (s *State) recordedResources() (*specs.LinuxResources, error) {
	if len(s.Resources) == 0 {
		return nil, nil
	}
	var r specs.LinuxResources
	if err := json.Unmarshal(s.Resources, &r); err != nil {
		return nil, fmt.Errorf("recorded linux.resources: %w", err)
	}
	return &r, nil
}
