package libseccomp

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	seccomp "github.com/seccomp/libseccomp-golang"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A loaded filter cannot be removed, so every Load test runs in a re-exec'd
// copy of the test binary: TestMain sees helperEnv and runs one helper case
// instead of the tests, printing its observations as JSON on stdout.
const (
	helperEnv    = "GOCONTAINER_SECCOMP_HELPER"
	helperDirEnv = "GOCONTAINER_SECCOMP_HELPER_DIR"
)

// helperResult is what a helper observed; every field is a string so that
// an errno is compared by name ("EPERM", "ENOSYS", "ok").
type helperResult map[string]string

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		os.Exit(runHelper(name, os.Getenv(helperDirEnv)))
	}
	os.Exit(m.Run())
}

func errnoOrNil(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func errName(err error) string {
	if err == nil {
		return "ok"
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		return unix.ErrnoName(errno)
	}
	return err.Error()
}

func statusField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "open: " + err.Error()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "missing"
}

func helperProfile(name string) (*specs.LinuxSeccomp, error) {
	switch name {
	case "mkdir":
		// Go's unix.Mkdir calls mkdirat on amd64 and arm64; deny both so the
		// test holds whichever the libc-less runtime picks.
		return &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
		}, nil
	case "getcwd":
		return &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.ENOSYS))}},
		}, nil
	case "newer", "aslimit":
		// A profile from before rseq (334 on x86_64) and clone3 (435):
		// every syscall libseccomp knows up to the one before rseq is
		// allowed, anything else gets EPERM.
		native, err := seccomp.GetNativeArch()
		if err != nil {
			return nil, err
		}
		rseq, err := seccomp.GetSyscallFromNameByArch("rseq", native)
		if err != nil {
			return nil, err
		}
		var names []string
		for nr := seccomp.ScmpSyscall(0); nr < rseq; nr++ {
			if n, err := nr.GetNameByArch(native); err == nil {
				names = append(names, n)
			}
		}
		p := &specs.LinuxSeccomp{
			DefaultAction: specs.ActErrno,
			Syscalls:      []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}},
		}
		if name == "aslimit" && native == seccomp.ArchAMD64 {
			// Docker's three: a bigger program to generate.
			p.Architectures = []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
		}
		return p, nil
	}
	return nil, fmt.Errorf("unknown helper %q", name)
}

// newThreads starts n goroutines that each lock and then keep their OS
// thread when they end, so the Go runtime must start a fresh thread
// (pthread_create: clone3, then rseq registration in the new thread) for
// the next one; it returns their thread ids.
func newThreads(n int) []string {
	var tids []string
	for range n {
		tid := make(chan int)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread exits with us
			tid <- unix.Gettid()
		}()
		tids = append(tids, fmt.Sprint(<-tid))
	}
	return tids
}

// limitAddressSpaceToCurrent sets the soft RLIMIT_AS to the process's
// current size (VmSize) plus one page and returns the old limits.
func limitAddressSpaceToCurrent() (unix.Rlimit, error) {
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &old); err != nil {
		return old, fmt.Errorf("getrlimit RLIMIT_AS: %w", err)
	}
	var kb uint64
	if _, err := fmt.Sscanf(statusField("/proc/self/status", "VmSize"), "%d kB", &kb); err != nil {
		return old, fmt.Errorf("VmSize: %w", err)
	}
	lim := unix.Rlimit{Cur: kb*1024 + uint64(os.Getpagesize()), Max: old.Max}
	if err := unix.Setrlimit(unix.RLIMIT_AS, &lim); err != nil {
		return old, fmt.Errorf("setrlimit RLIMIT_AS %d: %w", lim.Cur, err)
	}
	return old, nil
}

func runHelper(name, dir string) int {
	// The filter is loaded from this thread; pinning it keeps the checks that
	// follow on the thread that called Load.
	runtime.LockOSThread()
	res := helperResult{}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	prof, err := helperProfile(name)
	if err != nil {
		return fail(err)
	}
	// A second thread that exists before Load: TSYNC must filter it too.
	other := make(chan func() string)
	otherOut := make(chan string)
	go func() {
		runtime.LockOSThread()
		for fn := range other {
			otherOut <- fn()
		}
	}()
	res["nnp_before"] = statusField("/proc/self/status", "NoNewPrivs")

	f, err := NewFilter(prof, nil)
	if err != nil {
		return fail(err)
	}
	var asLimit unix.Rlimit
	if name == "aslimit" {
		// As in a container init with process.rlimits: RLIMIT_AS is
		// applied after NewFilter and before Load, and here it leaves no
		// room to map anything new.
		if asLimit, err = limitAddressSpaceToCurrent(); err != nil {
			return fail(err)
		}
	}
	if err := f.Load(); err != nil {
		return fail(err)
	}
	f.Release()
	if name == "aslimit" {
		lim := unix.Rlimit{Cur: asLimit.Max, Max: asLimit.Max}
		if err := unix.Setrlimit(unix.RLIMIT_AS, &lim); err != nil {
			return fail(fmt.Errorf("restore RLIMIT_AS: %w", err))
		}
	}

	res["nnp_after"] = statusField("/proc/self/status", "NoNewPrivs")
	res["seccomp_mode"] = statusField("/proc/thread-self/status", "Seccomp")
	res["mkdir"] = errName(unix.Mkdir(filepath.Join(dir, "a"), 0o755))
	res["mkdirat"] = errName(unix.Mkdirat(unix.AT_FDCWD, filepath.Join(dir, "b"), 0o755))
	_, err = unix.Getcwd(make([]byte, 4096))
	res["getcwd"] = errName(err)
	fd, err := unix.Open(filepath.Join(dir, "file"), unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	res["open"] = errName(err)
	if err == nil {
		unix.Close(fd)
	}
	res["getpid"] = fmt.Sprint(unix.Getpid() == os.Getpid())
	other <- func() string {
		return errName(unix.Mkdir(filepath.Join(dir, "c"), 0o755)) + "," + statusField("/proc/thread-self/status", "Seccomp")
	}
	res["other_thread"] = <-otherOut
	close(other)
	if name == "newer" || name == "aslimit" {
		_, _, e := unix.Syscall(unix.SYS_CLONE3, 0, 0, 0)
		res["clone3"] = errName(errnoOrNil(e))
		_, _, e = unix.Syscall(unix.SYS_RSEQ, 0, 0, 0)
		res["rseq"] = errName(errnoOrNil(e))
		res["new_threads"] = strings.Join(newThreads(3), ",")
		res["main_tid"] = fmt.Sprint(unix.Gettid())
	}

	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return fail(err)
	}
	return 0
}

func runHelperProcess(t *testing.T, name string) (helperResult, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		// Without no_new_privs, seccomp(2) needs CAP_SYS_ADMIN, and Load
		// deliberately does not set no_new_privs.
		t.Skip("loading a seccomp filter without no_new_privs needs root (CAP_SYS_ADMIN)")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+name, helperDirEnv+"="+dir,
		// As in the container init (libcontainer's spawn): glibc makes a
		// failed rseq registration in a new thread fatal, whatever the
		// errno, once the main thread registered one; with registration
		// off, threads started after the filter never ask.
		"GLIBC_TUNABLES=glibc.pthread.rseq=0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "helper %s: %s", name, stderr.String())
	var res helperResult
	require.NoError(t, json.Unmarshal(out, &res), "helper output %q", out)
	t.Logf("helper %s: %v", name, res)
	return res, dir
}

func TestLoadDeniesMkdirWithEPERM(t *testing.T) {
	res, dir := runHelperProcess(t, "mkdir")
	require.Equal(t, "EPERM", res["mkdir"])
	require.Equal(t, "EPERM", res["mkdirat"])
	require.NoDirExists(t, filepath.Join(dir, "a"))
	require.FileExists(t, filepath.Join(dir, "file"))
	require.Equal(t, "ok", res["getcwd"])
	require.Equal(t, "ok", res["open"])
	require.Equal(t, "true", res["getpid"])
	require.Equal(t, "2", res["seccomp_mode"], "the calling thread is in SECCOMP_MODE_FILTER")
	require.Equal(t, "EPERM,2", res["other_thread"], "TSYNC: a thread started before Load is filtered too")
}

func TestLoadErrnoRetFromRule(t *testing.T) {
	res, dir := runHelperProcess(t, "getcwd")
	require.Equal(t, "ENOSYS", res["getcwd"])
	require.Equal(t, "ok", res["mkdir"])
	require.DirExists(t, filepath.Join(dir, "a"))
	require.Equal(t, "ok", res["open"])
}

func TestLoadLeavesNoNewPrivsAlone(t *testing.T) {
	res, _ := runHelperProcess(t, "mkdir")
	require.Equal(t, "0", res["nnp_before"])
	require.Equal(t, "0", res["nnp_after"], "Load must not set no_new_privs; the caller decides")
}

// A syscall newer than the profile fails with ENOSYS, not the profile's
// default EPERM, so glibc falls back (clone3 -> clone) or does without
// (rseq), and the Go runtime can still start threads after the filter is
// loaded: without this, "Fatal glibc error: rseq registration failed".
func TestLoadSyscallsNewerThanTheProfileFailWithENOSYS(t *testing.T) {
	res, _ := runHelperProcess(t, "newer")
	require.Equal(t, "ENOSYS", res["clone3"])
	require.Equal(t, "ENOSYS", res["rseq"])
	tids := strings.Split(res["new_threads"], ",")
	require.Len(t, tids, 3)
	for i, tid := range tids {
		require.NotEqual(t, res["main_tid"], tid)
		for _, other := range tids[:i] {
			require.NotEqual(t, other, tid, "each locked goroutine got a thread of its own")
		}
	}
}

// Load must not need memory NewFilter did not already take: the container
// init applies process.rlimits between the two, and an RLIMIT_AS below the
// init's reserved address space (runtime-tools' process_rlimits asks for
// 1 GiB; a Go init with glibc reserves about 1.4 GiB) left libseccomp's
// seccomp_load, which generates the BPF program only then, without memory:
// ENOMEM, or a crash inside libseccomp.
func TestLoadNeedsNoNewMemory(t *testing.T) {
	res, _ := runHelperProcess(t, "aslimit")
	require.Equal(t, "2", res["seccomp_mode"])
	require.Equal(t, "ENOSYS", res["clone3"])
	require.Equal(t, "ok", res["mkdir"])
}
