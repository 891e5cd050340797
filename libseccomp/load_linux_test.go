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
	}
	return nil, fmt.Errorf("unknown helper %q", name)
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
	if err := f.Load(); err != nil {
		return fail(err)
	}
	f.Release()

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
	cmd.Env = append(os.Environ(), helperEnv+"="+name, helperDirEnv+"="+dir)
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
