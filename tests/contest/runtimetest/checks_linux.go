package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// readonly_paths: every listed path that exists is on a read-only mount.
func checkReadonlyPaths(spec *specs.Spec) []error {
	var errs []error
	for _, p := range spec.Linux.ReadonlyPaths {
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			errs = append(errs, fmt.Errorf("statfs %s: %w", p, err))
			continue
		}
		if st.Flags&unix.ST_RDONLY == 0 {
			errs = append(errs, fmt.Errorf("readonly path %s is on a writable mount", p))
			continue
		}
		// procfs and sysfs refuse creating files whatever the mount flags
		// (ENOENT, EACCES): only the flag above tells there.
		if st.Type == unix.PROC_SUPER_MAGIC || st.Type == unix.SYSFS_MAGIC {
			continue
		}
		// Writing must fail with EROFS (an EACCES would hide a writable
		// mount behind permissions).
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		var werr error
		switch {
		case fi.IsDir():
			werr = unix.Mkdir(filepath.Join(p, ".contest-probe"), 0o755)
			if werr == nil {
				_ = unix.Rmdir(filepath.Join(p, ".contest-probe"))
			}
		case fi.Mode().IsRegular():
			var fd int
			fd, werr = unix.Open(p, unix.O_WRONLY|unix.O_CLOEXEC, 0)
			if werr == nil {
				unix.Close(fd)
			}
		default:
			continue // device nodes: writing is not a mount property
		}
		if !errors.Is(werr, unix.EROFS) {
			errs = append(errs, fmt.Errorf("write to readonly path %s: got %v, want EROFS", p, werr))
		}
	}
	return errs
}

// masked_paths: a masked file reads empty (it is /dev/null), a masked
// directory is an empty read-only tmpfs.
func checkMaskedPaths(spec *specs.Spec) []error {
	var errs []error
	for _, p := range spec.Linux.MaskedPaths {
		fi, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			errs = append(errs, fmt.Errorf("stat masked path %s: %w", p, err))
			continue
		}
		if fi.IsDir() {
			ents, err := os.ReadDir(p)
			if err != nil {
				errs = append(errs, fmt.Errorf("read masked dir %s: %w", p, err))
			} else if len(ents) != 0 {
				errs = append(errs, fmt.Errorf("masked dir %s is not empty (%d entries)", p, len(ents)))
			}
			continue
		}
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR && unix.Major(st.Rdev) == 1 && unix.Minor(st.Rdev) == 3 {
			continue // /dev/null bound over it
		}
		// A bounded read: an unmasked /dev/zero never ends.
		f, err := os.Open(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("open masked file %s: %w", p, err))
			continue
		}
		buf := make([]byte, 64)
		n, err := f.Read(buf)
		f.Close()
		if n != 0 {
			errs = append(errs, fmt.Errorf("masked file %s is readable: %q", p, buf[:n]))
		} else if err != nil && !errors.Is(err, io.EOF) {
			errs = append(errs, fmt.Errorf("read masked file %s: %w", p, err))
		}
	}
	return errs
}

func utsField(b []byte) string { return string(bytes.TrimRight(b, "\x00")) }

func checkHostname(spec *specs.Spec) []error {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return []error{err}
	}
	want := spec.Hostname
	if want == "" {
		// No hostname: a new UTS namespace keeps the host's, which the
		// harness passes in.
		want = os.Getenv("CONTEST_HOSTNAME")
	}
	if got := utsField(u.Nodename[:]); got != want {
		return []error{fmt.Errorf("hostname %q, want %q", got, want)}
	}
	return nil
}

func checkDomainname(spec *specs.Spec) []error {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return []error{err}
	}
	got := utsField(u.Domainname[:])
	want := spec.Domainname
	if want == "" {
		want = "(none)"
	}
	if got != want {
		return []error{fmt.Errorf("domainname %q, want %q", got, want)}
	}
	return nil
}

func checkSysctl(spec *specs.Spec) []error {
	var errs []error
	for k, v := range spec.Linux.Sysctl {
		p := "/proc/sys/" + strings.ReplaceAll(k, ".", "/")
		data, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("sysctl %s: %w", k, err))
			continue
		}
		if got := strings.Join(strings.Fields(string(data)), " "); got != strings.Join(strings.Fields(v), " ") {
			errs = append(errs, fmt.Errorf("sysctl %s = %q, want %q", k, got, v))
		}
	}
	return errs
}

var schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
	specs.SchedOther: 0, specs.SchedFIFO: 1, specs.SchedRR: 2, specs.SchedBatch: 3,
	specs.SchedISO: 4, specs.SchedIdle: 5, specs.SchedDeadline: 6,
}

func checkScheduler(spec *specs.Spec) []error {
	s := spec.Process.Scheduler
	if s == nil {
		return []error{errors.New("config has no process.scheduler")}
	}
	attr, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		return []error{fmt.Errorf("sched_getattr: %w", err)}
	}
	var errs []error
	if want := schedPolicies[s.Policy]; attr.Policy != want {
		errs = append(errs, fmt.Errorf("scheduler policy %d, want %d (%s)", attr.Policy, want, s.Policy))
	}
	if int32(attr.Nice) != s.Nice {
		errs = append(errs, fmt.Errorf("nice %d, want %d", int32(attr.Nice), s.Nice))
	}
	if attr.Priority != uint32(s.Priority) {
		errs = append(errs, fmt.Errorf("sched priority %d, want %d", attr.Priority, s.Priority))
	}
	return errs
}

var ioClasses = map[specs.IOPriorityClass]int{
	specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3,
}

func checkIOPriority(spec *specs.Spec) []error {
	p := spec.Process.IOPriority
	if p == nil {
		return []error{errors.New("config has no process.ioPriority")}
	}
	const whoProcess = 1
	v, _, errno := unix.Syscall(unix.SYS_IOPRIO_GET, whoProcess, 0, 0)
	if errno != 0 {
		return []error{fmt.Errorf("ioprio_get: %w", errno)}
	}
	class, data := int(v>>13), int(v&0xff)
	if want := ioClasses[p.Class]; class != want || data != p.Priority {
		return []error{fmt.Errorf("io priority class %d level %d, want class %d (%s) level %d", class, data, want, p.Class, p.Priority)}
	}
	return nil
}

var mpolModes = map[specs.MemoryPolicyModeType]int{
	specs.MpolDefault: 0, specs.MpolPreferred: 1, specs.MpolBind: 2, specs.MpolInterleave: 3,
	specs.MpolLocal: 4, specs.MpolPreferredMany: 5, specs.MpolWeightedInterleave: 6,
}

var mpolFlags = map[specs.MemoryPolicyFlagType]int{
	specs.MpolFNumaBalancing: unix.MPOL_F_NUMA_BALANCING,
	specs.MpolFRelativeNodes: unix.MPOL_F_RELATIVE_NODES,
	specs.MpolFStaticNodes:   unix.MPOL_F_STATIC_NODES,
}

// parseNodes parses a node list such as "0-2,4" into a bitmask.
func parseNodes(s string) ([16]uint64, error) {
	var mask [16]uint64
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return mask, fmt.Errorf("node list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return mask, fmt.Errorf("node list %q: %w", s, err)
			}
		}
		for n := a; n <= b; n++ {
			if n >= 16*64 {
				return mask, fmt.Errorf("node %d out of range", n)
			}
			mask[n/64] |= 1 << (n % 64)
		}
	}
	return mask, nil
}

func checkMemoryPolicy(spec *specs.Spec) []error {
	var mode int
	var mask [16]uint64
	_, _, errno := unix.Syscall6(unix.SYS_GET_MEMPOLICY, uintptr(unsafe.Pointer(&mode)),
		uintptr(unsafe.Pointer(&mask[0])), uintptr(len(mask)*64), 0, 0, 0)
	if errno != 0 {
		return []error{fmt.Errorf("get_mempolicy: %w", errno)}
	}
	mp := spec.Linux.MemoryPolicy
	wantMode, wantFlags := 0, 0
	var wantMask [16]uint64
	if mp != nil {
		wantMode = mpolModes[mp.Mode]
		for _, f := range mp.Flags {
			wantFlags |= mpolFlags[f]
		}
		var err error
		if wantMask, err = parseNodes(mp.Nodes); err != nil {
			return []error{err}
		}
	}
	gotMode, gotFlags := mode&^unix.MPOL_MODE_FLAGS, mode&unix.MPOL_MODE_FLAGS
	// The kernel stores MPOL_PREFERRED without nodes as MPOL_LOCAL.
	if wantMode == 1 && wantMask == ([16]uint64{}) && gotMode == 4 {
		gotMode = 1
	}
	var errs []error
	if gotMode != wantMode || gotFlags != wantFlags {
		errs = append(errs, fmt.Errorf("memory policy mode %d flags %#x, want mode %d flags %#x", gotMode, gotFlags, wantMode, wantFlags))
	}
	if wantMode != 0 && wantMode != 4 && mask != wantMask {
		errs = append(errs, fmt.Errorf("memory policy nodes %x, want %x (%q)", mask[0], wantMask[0], mp.Nodes))
	}
	return errs
}

func checkDevices(spec *specs.Spec) []error {
	var errs []error
	for _, d := range spec.Linux.Devices {
		var st unix.Stat_t
		if err := unix.Lstat(d.Path, &st); err != nil {
			errs = append(errs, fmt.Errorf("device %s: %w", d.Path, err))
			continue
		}
		var want uint32
		switch d.Type {
		case "c", "u":
			want = unix.S_IFCHR
		case "b":
			want = unix.S_IFBLK
		case "p":
			want = unix.S_IFIFO
		}
		if st.Mode&unix.S_IFMT != want {
			errs = append(errs, fmt.Errorf("device %s: file type %#o, want %#o (%s)", d.Path, st.Mode&unix.S_IFMT, want, d.Type))
			continue
		}
		if d.Type != "p" && (int64(unix.Major(st.Rdev)) != d.Major || int64(unix.Minor(st.Rdev)) != d.Minor) {
			errs = append(errs, fmt.Errorf("device %s: %d:%d, want %d:%d", d.Path, unix.Major(st.Rdev), unix.Minor(st.Rdev), d.Major, d.Minor))
		}
		// Without a fileMode the node gets 0666 (runc's and youki's default).
		wantMode := os.FileMode(0o666)
		if d.FileMode != nil {
			wantMode = d.FileMode.Perm()
		}
		if os.FileMode(st.Mode&0o777) != wantMode {
			errs = append(errs, fmt.Errorf("device %s: mode %#o, want %#o", d.Path, st.Mode&0o777, wantMode))
		}
		if d.UID != nil && st.Uid != *d.UID {
			errs = append(errs, fmt.Errorf("device %s: uid %d, want %d", d.Path, st.Uid, *d.UID))
		}
		if d.GID != nil && st.Gid != *d.GID {
			errs = append(errs, fmt.Errorf("device %s: gid %d, want %d", d.Path, st.Gid, *d.GID))
		}
	}
	return errs
}

func checkRootReadonly(spec *specs.Spec) []error {
	var st unix.Statfs_t
	if err := unix.Statfs("/", &st); err != nil {
		return []error{err}
	}
	ro := st.Flags&unix.ST_RDONLY != 0
	want := spec.Root != nil && spec.Root.Readonly
	if ro != want {
		return []error{fmt.Errorf("root read-only %v, want %v", ro, want)}
	}
	// The flag must also hold for writes.
	err := unix.Mkdir("/.contest-probe", 0o755)
	if err == nil {
		_ = unix.Rmdir("/.contest-probe")
	}
	if want && !errors.Is(err, unix.EROFS) {
		return []error{fmt.Errorf("mkdir on read-only root: got %v, want EROFS", err)}
	}
	if !want && err != nil {
		return []error{fmt.Errorf("mkdir on writable root: %w", err)}
	}
	return nil
}

func checkProcess(spec *specs.Spec) []error {
	var errs []error
	cwd, err := os.Getwd()
	if err != nil {
		errs = append(errs, fmt.Errorf("getwd: %w", err))
	} else if cwd != filepath.Clean(spec.Process.Cwd) {
		errs = append(errs, fmt.Errorf("cwd %q, want %q", cwd, spec.Process.Cwd))
	}
	env := os.Environ()
	for _, e := range spec.Process.Env {
		if !slices.Contains(env, e) {
			errs = append(errs, fmt.Errorf("env %q missing (have %q)", e, env))
		}
	}
	return errs
}

var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// capMask turns capability names into a bitmask; unknown names are errors.
func capMask(names []string) (uint64, error) {
	var m uint64
	for _, n := range names {
		i := slices.Index(capNames, n)
		if i < 0 {
			return 0, fmt.Errorf("unknown capability %q", n)
		}
		m |= 1 << i
	}
	return m, nil
}

func capString(m uint64) string {
	var out []string
	for i, n := range capNames {
		if m&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return "[" + strings.Join(out, " ") + "]"
}

// procStatus returns the fields of /proc/self/status.
func procStatus() (map[string]string, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m, nil
}

func checkCapabilities(spec *specs.Spec) []error {
	c := spec.Process.Capabilities
	if c == nil {
		c = &specs.LinuxCapabilities{}
	}
	st, err := procStatus()
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, set := range []struct {
		field string
		names []string
	}{{"CapBnd", c.Bounding}, {"CapEff", c.Effective}, {"CapPrm", c.Permitted}, {"CapInh", c.Inheritable}, {"CapAmb", c.Ambient}} {
		want, err := capMask(set.names)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got, err := strconv.ParseUint(st[set.field], 16, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", set.field, st[set.field], err))
			continue
		}
		if got != want {
			errs = append(errs, fmt.Errorf("%s = %s, want %s", set.field, capString(got), capString(want)))
		}
	}
	return errs
}

// process_capabilities_bounding_unset: with no bounding list the bounding
// set is empty, and so, after the exec of a process without file
// capabilities, is every other set (the kernel derives the new permitted
// set from the bounding set, and the inheritable and ambient lists are
// empty too).
func checkBoundingUnset(spec *specs.Spec) []error {
	st, err := procStatus()
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, field := range []string{"CapBnd", "CapInh", "CapPrm", "CapEff", "CapAmb"} {
		got, err := strconv.ParseUint(st[field], 16, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", field, st[field], err))
		} else if got != 0 {
			errs = append(errs, fmt.Errorf("%s = %s, want empty", field, capString(got)))
		}
	}
	return errs
}

func checkUser(spec *specs.Spec) []error {
	u := spec.Process.User
	var errs []error
	if got := os.Getuid(); uint32(got) != u.UID {
		errs = append(errs, fmt.Errorf("uid %d, want %d", got, u.UID))
	}
	if got := os.Getgid(); uint32(got) != u.GID {
		errs = append(errs, fmt.Errorf("gid %d, want %d", got, u.GID))
	}
	groups, err := unix.Getgroups()
	if err != nil {
		errs = append(errs, fmt.Errorf("getgroups: %w", err))
	} else {
		var want []int
		for _, g := range u.AdditionalGids {
			if !slices.Contains(want, int(g)) {
				want = append(want, int(g))
			}
		}
		got := slices.Clone(groups)
		slices.Sort(got)
		got = slices.Compact(got)
		slices.Sort(want)
		// The primary gid may or may not be listed; it is not an extra group.
		got = slices.DeleteFunc(got, func(g int) bool { return g == int(u.GID) && !slices.Contains(want, g) })
		if !slices.Equal(got, want) {
			errs = append(errs, fmt.Errorf("supplementary groups %v, want %v", groups, want))
		}
	}
	if u.Umask != nil {
		st, err := procStatus()
		if err != nil {
			errs = append(errs, err)
		} else if got, err := strconv.ParseUint(st["Umask"], 8, 32); err != nil || uint32(got) != *u.Umask {
			errs = append(errs, fmt.Errorf("umask %s, want %#o", st["Umask"], *u.Umask))
		}
	}
	return errs
}

var rlimitNames = map[string]int{
	"RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4,
	"RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9,
	"RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
	"RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
}

func checkRlimits(spec *specs.Spec) []error {
	var errs []error
	for _, r := range spec.Process.Rlimits {
		res, ok := rlimitNames[r.Type]
		if !ok {
			errs = append(errs, fmt.Errorf("unknown rlimit %q", r.Type))
			continue
		}
		var got unix.Rlimit
		if res == unix.RLIMIT_NOFILE {
			// The Go runtime raises its own soft NOFILE limit to the hard one
			// at start and restores the original for children: ask a child.
			cur, max, err := childNofile()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			got = unix.Rlimit{Cur: cur, Max: max}
		} else if err := unix.Getrlimit(res, &got); err != nil {
			errs = append(errs, fmt.Errorf("getrlimit %s: %w", r.Type, err))
			continue
		}
		if got.Cur != r.Soft || got.Max != r.Hard {
			errs = append(errs, fmt.Errorf("%s soft %d hard %d, want soft %d hard %d", r.Type, got.Cur, got.Max, r.Soft, r.Hard))
		}
	}
	return errs
}

func checkOOMScoreAdj(spec *specs.Spec) []error {
	data, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return []error{err}
	}
	want := 0
	if spec.Process.OOMScoreAdj != nil {
		want = *spec.Process.OOMScoreAdj
	}
	if got := strings.TrimSpace(string(data)); got != strconv.Itoa(want) {
		return []error{fmt.Errorf("oom_score_adj %s, want %d", got, want)}
	}
	return nil
}

// mountInfo is one line of /proc/self/mountinfo.
type mountInfo struct {
	root, point, opts, optional, fstype, source, super string
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func mounts() ([]mountInfo, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []mountInfo
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		sep := slices.Index(f, "-")
		if len(f) < 10 || sep < 6 || sep+3 >= len(f)+1 {
			continue
		}
		m := mountInfo{root: unescapeMount(f[3]), point: unescapeMount(f[4]), opts: f[5], optional: strings.Join(f[6:sep], " ")}
		if sep+3 < len(f)+1 {
			m.fstype, m.source = f[sep+1], f[sep+2]
			if sep+3 < len(f) {
				m.super = f[sep+3]
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// no_pivot: the container still sees exactly its own root: / is a mount,
// the bundle's config is at /config.json, and no mount of the host's
// root is visible above it.
func checkNoPivot(spec *specs.Spec) []error {
	ms, err := mounts()
	if err != nil {
		return []error{err}
	}
	var errs []error
	roots := 0
	for _, m := range ms {
		if m.point == "/" {
			roots++
		}
	}
	if roots == 0 {
		errs = append(errs, errors.New("no mount at / in mountinfo"))
	}
	if _, err := os.Stat("/config.json"); err != nil {
		errs = append(errs, fmt.Errorf("/config.json: %w", err))
	}
	if _, err := os.Stat("/bin/runtimetest"); err != nil {
		errs = append(errs, fmt.Errorf("/bin/runtimetest: %w", err))
	}
	// The directories at / are the bundle rootfs's, as the harness listed
	// them (CONTEST_ROOT_DIRS): the root is the rootfs, not the host's /.
	if want := os.Getenv("CONTEST_ROOT_DIRS"); want != "" {
		ents, err := os.ReadDir("/")
		if err != nil {
			return append(errs, err)
		}
		var got []string
		for _, e := range ents {
			if e.IsDir() {
				got = append(got, e.Name())
			}
		}
		if strings.Join(got, ",") != want {
			errs = append(errs, fmt.Errorf("directories at / %v, want the rootfs's %s", got, want))
		}
	}
	return errs
}

// fd_control: exactly stdio plus the fds the harness says it preserved
// (CONTEST_PRESERVED_FDS in the process env) are open.
func checkFDs(spec *specs.Spec) []error {
	n := 0
	if v := os.Getenv("CONTEST_PRESERVED_FDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			return []error{fmt.Errorf("CONTEST_PRESERVED_FDS=%q: %w", v, err)}
		}
	}
	got := startFDs
	if got == nil {
		return []error{errors.New("could not list /proc/self/fd at start")}
	}
	slices.Sort(got)
	want := []int{0, 1, 2}
	for i := 0; i < n; i++ {
		want = append(want, 3+i)
	}
	if !slices.Equal(got, want) {
		var desc []string
		for _, fd := range got {
			target, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
			desc = append(desc, fmt.Sprintf("%d->%s", fd, target))
		}
		return []error{fmt.Errorf("open fds %v, want %v", desc, want)}
	}
	return nil
}

func checkRootfsPropagation(spec *specs.Spec) []error {
	ms, err := mounts()
	if err != nil {
		return []error{err}
	}
	var root *mountInfo
	for i := range ms {
		if ms[i].point == "/" {
			root = &ms[i] // the last one is the visible one
		}
	}
	if root == nil {
		return []error{errors.New("no mount at /")}
	}
	opt := root.optional
	shared, slave, unbindable := strings.Contains(opt, "shared:"), strings.Contains(opt, "master:"), strings.Contains(opt, "unbindable")
	var ok bool
	switch spec.Linux.RootfsPropagation {
	case "shared", "rshared":
		ok = shared
	case "slave", "rslave":
		// A slave of a private mount is private: the harness says whether
		// the bundle's host mount was shared.
		ok = slave && !shared || os.Getenv("CONTEST_HOST_PRIVATE") == "1" && !shared && !unbindable
	case "private", "rprivate":
		ok = !shared && !slave && !unbindable
	case "unbindable", "runbindable":
		ok = unbindable
	default:
		return []error{fmt.Errorf("unsupported rootfsPropagation %q", spec.Linux.RootfsPropagation)}
	}
	if !ok {
		return []error{fmt.Errorf("root mount propagation %q, want %s", opt, spec.Linux.RootfsPropagation)}
	}
	return nil
}

func checkIDMappings(spec *specs.Spec) []error {
	var errs []error
	for _, f := range []struct {
		file string
		maps []specs.LinuxIDMapping
	}{{"/proc/self/uid_map", spec.Linux.UIDMappings}, {"/proc/self/gid_map", spec.Linux.GIDMappings}} {
		data, err := os.ReadFile(f.file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			got = append(got, strings.Join(strings.Fields(line), " "))
		}
		var want []string
		for _, m := range f.maps {
			want = append(want, fmt.Sprintf("%d %d %d", m.ContainerID, m.HostID, m.Size))
		}
		if len(want) == 0 {
			want = []string{"0 0 4294967295"}
		}
		if !slices.Equal(got, want) {
			errs = append(errs, fmt.Errorf("%s = %q, want %q", f.file, got, want))
		}
	}
	return errs
}

func checkNetDevices(spec *specs.Spec) []error {
	var errs []error
	for host, d := range spec.Linux.NetDevices {
		name := d.Name
		if name == "" {
			name = host
		}
		if _, err := os.Stat("/sys/class/net/" + name); err != nil {
			errs = append(errs, fmt.Errorf("net device %s (host %s) missing in the container: %w", name, host, err))
		}
	}
	// CONTEST_NETDEV_ADDR=name=a.b.c.d: the device kept its IPv4 address.
	if v := os.Getenv("CONTEST_NETDEV_ADDR"); v != "" {
		name, addr, _ := strings.Cut(v, "=")
		got, err := ipv4Of(name)
		if err != nil {
			errs = append(errs, err)
		} else if got != addr {
			errs = append(errs, fmt.Errorf("net device %s address %s, want %s", name, got, addr))
		}
	}
	return errs
}

func checkTimeOffsets(spec *specs.Spec) []error {
	data, err := os.ReadFile("/proc/self/timens_offsets")
	if err != nil {
		return []error{err}
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 {
			got[f[0]] = f[1] + " " + f[2]
		}
	}
	var errs []error
	for _, clock := range []string{"monotonic", "boottime"} {
		want := "0 0"
		if o, ok := spec.Linux.TimeOffsets[clock]; ok {
			want = fmt.Sprintf("%d %d", o.Secs, o.Nanosecs)
		}
		if got[clock] != want {
			errs = append(errs, fmt.Errorf("%s offset %q, want %q", clock, got[clock], want))
		}
	}
	return errs
}

// seccomp: each rule that makes getcwd or uname fail with an errno does.
func checkSeccomp(spec *specs.Spec) []error {
	s := spec.Linux.Seccomp
	if s == nil {
		return []error{errors.New("config has no linux.seccomp")}
	}
	var errs []error
	tested := 0
	for _, r := range s.Syscalls {
		if r.Action != specs.ActErrno || len(r.Args) > 0 {
			continue
		}
		want := unix.EPERM
		if r.ErrnoRet != nil {
			want = unix.Errno(*r.ErrnoRet)
		}
		for _, name := range r.Names {
			var err error
			switch name {
			case "getcwd":
				buf := make([]byte, 256)
				_, err = unix.Getcwd(buf)
			case "uname":
				var u unix.Utsname
				err = unix.Uname(&u)
			default:
				continue
			}
			tested++
			if !errors.Is(err, want) {
				errs = append(errs, fmt.Errorf("%s: got %v, want %v", name, err, want))
			}
		}
	}
	if tested == 0 {
		errs = append(errs, errors.New("no errno rule for getcwd or uname to test"))
	}
	return errs
}

// Per-mount flags of /proc/self/mountinfo and the r* options that set or
// clear them.
var recursiveOpts = map[string]struct {
	flag string
	set  bool
}{
	"rro": {"ro", true}, "rrw": {"ro", false},
	"rnosuid": {"nosuid", true}, "rsuid": {"nosuid", false},
	"rnodev": {"nodev", true}, "rdev": {"nodev", false},
	"rnoexec": {"noexec", true}, "rexec": {"noexec", false},
	"rnodiratime": {"nodiratime", true}, "rdiratime": {"nodiratime", false},
	"rnoatime": {"noatime", true}, "ratime": {"noatime", false},
	// norelatime only clears MS_RELATIME, and relatime is the kernel's
	// default atime mode (mount(8)): the mounts stay relatime.
	"rrelatime": {"relatime", true}, "rnorelatime": {"relatime", true},
	"rstrictatime": {"relatime", false}, "rnostrictatime": {"relatime", true},
	"rnosymfollow": {"nosymfollow", true}, "rsymfollow": {"nosymfollow", false},
}

// mounts_recursive: every r* option of a mount holds on the mount and on
// every mount below it.
func checkMountsRecursive(spec *specs.Spec) []error {
	ms, err := mounts()
	if err != nil {
		return []error{err}
	}
	var errs []error
	tested := 0
	for _, m := range spec.Mounts {
		for _, o := range m.Options {
			want, ok := recursiveOpts[o]
			if !ok {
				continue
			}
			dst := filepath.Clean(m.Destination)
			found := 0
			for _, mi := range ms {
				if mi.point != dst && !strings.HasPrefix(mi.point, dst+"/") {
					continue
				}
				found++
				has := slices.Contains(strings.Split(mi.opts, ","), want.flag)
				if o == "rstrictatime" && (has || slices.Contains(strings.Split(mi.opts, ","), "noatime")) {
					errs = append(errs, fmt.Errorf("%s: mount %s has %s, want strictatime", o, mi.point, mi.opts))
					continue
				}
				if has != want.set {
					errs = append(errs, fmt.Errorf("%s: mount %s options %s, want %s=%v", o, mi.point, mi.opts, want.flag, want.set))
				}
			}
			if found < 2 {
				errs = append(errs, fmt.Errorf("%s: %s has %d mounts, want the mount and a submount", o, dst, found))
			}
			tested++
		}
	}
	if tested == 0 {
		errs = append(errs, errors.New("no recursive mount option in the config"))
	}
	return errs
}

// personality: uname's machine follows linux.personality.domain.
func checkPersonality(spec *specs.Spec) []error {
	p := spec.Linux.Personality
	if p == nil {
		return []error{errors.New("config has no linux.personality")}
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return []error{err}
	}
	got := utsField(u.Machine[:])
	want := "x86_64"
	if p.Domain == specs.PerLinux32 {
		want = "i686"
	}
	if got != want {
		return []error{fmt.Errorf("uname machine %q, want %q for %s", got, want, p.Domain)}
	}
	return nil
}

var nsFiles = map[specs.LinuxNamespaceType]string{
	specs.PIDNamespace: "pid", specs.NetworkNamespace: "net", specs.MountNamespace: "mnt",
	specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts", specs.UserNamespace: "user",
	specs.CgroupNamespace: "cgroup", specs.TimeNamespace: "time",
}

// namespaces: every namespace type the config does not ask for is the one
// pid 1's parent side has; tested from outside with ns_itype, here only
// that the configured ones exist.
func checkNamespaces(spec *specs.Spec) []error {
	var errs []error
	for _, ns := range spec.Linux.Namespaces {
		if _, err := os.Readlink("/proc/self/ns/" + nsFiles[ns.Type]); err != nil {
			errs = append(errs, fmt.Errorf("namespace %s: %w", ns.Type, err))
		}
	}
	return errs
}

func ipv4Of(name string) (string, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return "", err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFADDR, ifr); err != nil {
		return "", fmt.Errorf("SIOCGIFADDR %s: %w", name, err)
	}
	ip, err := ifr.Inet4Addr()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d.%d.%d.%d", ip[0], ip[1], ip[2], ip[3]), nil
}

// mounts_recursive_rbind_ro: a bind mount with "rbind" and "ro" is read
// only at its top, and its submounts stay writable (ro is not recursive;
// rro is).
func checkRbindRO(spec *specs.Spec) []error {
	ms, err := mounts()
	if err != nil {
		return []error{err}
	}
	var errs []error
	tested := 0
	for _, m := range spec.Mounts {
		if !slices.Contains(m.Options, "rbind") || !slices.Contains(m.Options, "ro") {
			continue
		}
		tested++
		dst := filepath.Clean(m.Destination)
		var top *mountInfo
		for i := range ms {
			if ms[i].point == dst {
				top = &ms[i]
			}
		}
		if top == nil {
			errs = append(errs, fmt.Errorf("%s is not a mount", dst))
		} else if !slices.Contains(strings.Split(top.opts, ","), "ro") {
			errs = append(errs, fmt.Errorf("%s options %s, want ro", dst, top.opts))
		}
		var st unix.Statfs_t
		if err := unix.Statfs(dst, &st); err == nil && st.Flags&unix.ST_RDONLY == 0 {
			errs = append(errs, fmt.Errorf("%s is writable", dst))
		}
		for _, mi := range ms {
			if strings.HasPrefix(mi.point, dst+"/") && slices.Contains(strings.Split(mi.opts, ","), "ro") {
				errs = append(errs, fmt.Errorf("submount %s is read-only (%s), want only the top of the rbind read-only", mi.point, mi.opts))
			}
		}
	}
	if tested == 0 {
		errs = append(errs, errors.New("no rbind,ro mount in the config"))
	}
	return errs
}

// openFDs lists /proc/self/fd with raw syscalls (no Go file, so no poller).
func openFDs() []int {
	dir, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(dir)
	var fds []int
	buf := make([]byte, 8192)
	for {
		n, err := unix.Getdents(dir, buf)
		if err != nil {
			return nil
		}
		if n <= 0 {
			break
		}
		_, _, names := unix.ParseDirent(buf[:n], -1, nil)
		for _, name := range names {
			if fd, err := strconv.Atoi(name); err == nil && fd != dir {
				fds = append(fds, fd)
			}
		}
	}
	return fds
}

// childNofile reads RLIMIT_NOFILE as a child process gets it.
func childNofile() (uint64, uint64, error) {
	out, err := exec.Command("/bin/cat", "/proc/self/limits").Output()
	if err != nil {
		return 0, 0, fmt.Errorf("cat /proc/self/limits: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "Max open files") {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, "Max open files"))
		if len(f) < 2 {
			break
		}
		parse := func(v string) (uint64, error) {
			if v == "unlimited" {
				return unix.RLIM_INFINITY, nil
			}
			return strconv.ParseUint(v, 10, 64)
		}
		cur, err1 := parse(f[0])
		max, err2 := parse(f[1])
		return cur, max, errors.Join(err1, err2)
	}
	return 0, 0, fmt.Errorf("no Max open files in %q", out)
}
