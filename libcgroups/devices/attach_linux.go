package devices

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Apply normalizes rules, loads the device program and attaches it to the
// cgroup2 directory dir in place of the device programs attached there
// before (see Attach).
//
// Like runc (canSkipEBPFError), a failure to load or attach is only logged
// when the rules allow every device anyway, or when running in a user
// namespace, where the kernel never lets us load BPF programs and the host
// already confines the devices.
func Apply(dir string, rules []specs.LinuxDeviceCgroup, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f, err := NewFilter(rules)
	if err != nil {
		return err
	}
	err = Attach(dir, f, log)
	if err != nil && (f.AllowsAll() || inUserNS()) {
		log.Warn("cgroup v2: device program not attached (rules allow every device, or running in a user namespace)",
			slog.String("dir", dir), slog.Any("error", err))
		return nil
	}
	return err
}

// Load loads the filter's program into the kernel.
func Load(f *Filter) (*ebpf.Program, error) {
	insns, err := f.Program()
	if err != nil {
		return nil, err
	}
	// On a verifier error, cilium/ebpf puts the verifier log in err.
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "gocontainer_dev",
		Type:         ebpf.CGroupDevice,
		Instructions: insns,
		License:      License,
	})
	if err != nil {
		return nil, fmt.Errorf("load device cgroup program: %w", err)
	}
	return p, nil
}

// Attach loads f's program and attaches it to the cgroup2 directory dir
// (BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI), so it outlives
// this process, then removes the device programs that were attached to dir
// before: the new rules replace the old ones, as a v1 devices.list rewrite
// would. With exactly one old program it is swapped atomically with
// BPF_F_REPLACE (Linux 5.6); otherwise, or if the kernel refuses the
// replace, the new program is attached first and the old ones detached
// afterwards, so there is no moment without a filter (runc does the same,
// loadAttachCgroupDeviceFilter). ALLOW_MULTI also keeps programs of our
// ancestors (systemd's) in force: every program on the path must allow.
func Attach(dir string, f *Filter, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	prog, err := Load(f)
	if err != nil {
		return err
	}
	defer prog.Close() // the attachment holds its own reference

	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("attach device program: %w", &os.PathError{Op: "open", Path: dir, Err: err})
	}
	defer unix.Close(fd)

	old, err := attached(fd)
	if err != nil {
		return fmt.Errorf("attach device program to %s: query attached programs: %w", dir, err)
	}
	defer func() {
		for _, p := range old {
			p.Close()
		}
	}()

	opts := link.RawAttachProgramOptions{Target: fd, Program: prog, Attach: ebpf.AttachCGroupDevice, Flags: unix.BPF_F_ALLOW_MULTI}
	if len(old) == 1 {
		ropts := opts
		ropts.Anchor = link.ReplaceProgram(old[0])
		err := link.RawAttachProgram(ropts)
		if err == nil {
			log.Debug("cgroup v2: device program replaced", slog.String("dir", dir), slog.Any("rules", f.Exceptions), slog.Bool("default_allow", f.DefaultAllow))
			return nil
		}
		log.Debug("cgroup v2: replace of the device program refused, attaching then detaching", slog.String("dir", dir), slog.Any("error", err))
	}
	if err := link.RawAttachProgram(opts); err != nil {
		return fmt.Errorf("attach device program to %s: %w", dir, err)
	}
	log.Debug("cgroup v2: device program attached", slog.String("dir", dir), slog.Any("rules", f.Exceptions), slog.Bool("default_allow", f.DefaultAllow))
	var errs []error
	for _, p := range old {
		err := link.RawDetachProgram(link.RawDetachProgramOptions{Target: fd, Program: p, Attach: ebpf.AttachCGroupDevice})
		if err != nil && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("detach old device program from %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// attached opens the device programs attached directly to the cgroup fd.
func attached(fd int) ([]*ebpf.Program, error) {
	q, err := link.QueryPrograms(link.QueryOptions{Target: fd, Attach: ebpf.AttachCGroupDevice})
	if err != nil {
		return nil, err
	}
	var progs []*ebpf.Program
	for _, ap := range q.Programs {
		p, err := ebpf.NewProgramFromID(ap.ID)
		if errors.Is(err, os.ErrNotExist) {
			continue // detached meanwhile
		}
		if err != nil {
			for _, p := range progs {
				p.Close()
			}
			return nil, fmt.Errorf("open program %d: %w", ap.ID, err)
		}
		progs = append(progs, p)
	}
	return progs, nil
}

// inUserNS reports whether this process runs in a user namespace other
// than the initial one, whose uid_map is the full identity range.
func inUserNS() bool {
	b, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return !(len(f) == 3 && f[0] == "0" && f[1] == "0" && f[2] == "4294967295")
}
