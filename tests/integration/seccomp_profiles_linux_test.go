package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// probeSrc is a static Go program run inside containers. "threads" starts
// eight goroutines locked to their own OS threads and reports how many
// threads it saw; "errnos" makes raw syscalls with arguments the kernel
// rejects cheaply (so that without a filter each gives a known errno,
// never a side effect) and prints name=errno for each, "ok" for success.
const probeSrc = `package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

func threads() {
	const n = 8
	var ready, done sync.WaitGroup
	ready.Add(n)
	done.Add(n)
	release := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if _, err := os.ReadDir("/"); err != nil {
				fmt.Fprintln(os.Stderr, "readdir:", err)
				os.Exit(3)
			}
			ready.Done()
			<-release
		}()
	}
	ready.Wait()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tasks:", err)
		os.Exit(3)
	}
	close(release)
	done.Wait()
	fmt.Printf("threads=%d\n", len(tasks))
}

func errnos() {
	atFdcwd := -100
	calls := []struct {
		name string
		nr   uintptr
		args [4]uintptr
	}{
		// x86_64 numbers. Newer syscalls first, then old ones.
		{"clone3", 435, [4]uintptr{0, 0}},                         // size 0: EINVAL
		{"close_range", 436, [4]uintptr{1000, 999, 0}},            // first > last: EINVAL
		{"openat2", 437, [4]uintptr{uintptr(atFdcwd), 0, 0, 0}},   // size 0: EINVAL
		{"faccessat2", 439, [4]uintptr{uintptr(atFdcwd), 0, 0, 0xffff}}, // bad flags: EINVAL
		{"mkdir", 83, [4]uintptr{0, 0}},                           // NULL path: EFAULT
		{"keyctl", 250, [4]uintptr{0, ^uintptr(2), 0}},            // KEYCTL_GET_KEYRING_ID of the session keyring
	}
	var out []string
	for _, c := range calls {
		_, _, e := syscall.Syscall6(c.nr, c.args[0], c.args[1], c.args[2], c.args[3], 0, 0)
		v := "ok"
		if e != 0 {
			v = strconv.Itoa(int(e))
		}
		out = append(out, c.name+"="+v)
	}
	fmt.Println(strings.Join(out, " "))
}

func main() {
	switch os.Args[1] {
	case "threads":
		threads()
	case "errnos":
		errnos()
	default:
		fmt.Fprintln(os.Stderr, "usage: probe threads|errnos")
		os.Exit(2)
	}
}
`

// pthreadSrc starts a thread with glibc's pthread_create, which tries
// clone3 first and falls back to clone only when clone3 fails with ENOSYS.
const pthreadSrc = `#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void *run(void *arg) { *(int *)arg = 42; return NULL; }

int main(void) {
	pthread_t th;
	int v = 0;
	int rc = pthread_create(&th, NULL, run, &v);
	if (rc != 0) {
		printf("pthread_create: %s\n", strerror(rc));
		return 1;
	}
	pthread_join(th, NULL);
	printf("thread ran: %d\n", v);
	return 0;
}
`

// errnoField returns the value the probe printed for name.
func errnoField(t *testing.T, out, name string) string {
	t.Helper()
	for _, f := range strings.Fields(out) {
		if k, v, ok := strings.Cut(f, "="); ok && k == name {
			return v
		}
	}
	t.Fatalf("probe output %q has no %s", out, name)
	return ""
}

func errnoStr(e unix.Errno) string { return strconv.Itoa(int(e)) }

// dockerSpec is baseSpec with Docker's default capabilities and Docker's
// default seccomp profile, converted for this spec exactly as dockerd does
// (moby/profiles/seccomp.GetDefaultProfile: the rules conditional on
// capabilities, architectures and kernel version are resolved against it).
func dockerSpec(t *testing.T, nnp bool, args ...string) *specs.Spec {
	t.Helper()
	spec := baseSpec(args...)
	spec.Process.Capabilities = &specs.LinuxCapabilities{Bounding: dockerCaps, Effective: dockerCaps, Permitted: dockerCaps}
	spec.Process.NoNewPrivileges = nnp
	profile, err := mobyseccomp.GetDefaultProfile(spec)
	require.NoError(t, err, "docker default seccomp profile")
	require.Equal(t, specs.ActErrno, profile.DefaultAction, "docker's profile denies by default")
	spec.Linux.Seccomp = profile
	return spec
}

// TestDockerDefaultProfileRunsBusyboxAndAStaticGoBinary: with Docker's
// real default profile (deny by default, EPERM) and Docker's default
// capabilities, a busybox shell runs several applets and a static Go
// binary starts eight OS threads, with the filter loaded either before the
// capability drop (no NNP) or last (NNP). Syscalls the profile denies
// (keyctl) get EPERM and clone3, which Docker's profile answers with ENOSYS
// for containers without CAP_SYS_ADMIN, gets ENOSYS: the profile is the
// one in force.
func TestDockerDefaultProfileRunsBusyboxAndAStaticGoBinary(t *testing.T) {
	r := newRuntime(t)
	for _, nnp := range []bool{false, true} {
		t.Run(fmt.Sprintf("noNewPrivileges=%v", nnp), func(t *testing.T) {
			t.Run("busybox", func(t *testing.T) {
				spec := dockerSpec(t, nnp, "sh", "-c", "ls / && mkdir /tmp/x && ls -d /tmp/x && cat /proc/self/status")
				b := newBundle(t, spec)
				id := "dockerbb"
				r.deleteOnCleanup(t, id)
				res := r.run(t, "run", "--bundle", b.dir, id)
				require.Equal(t, 0, res.code, "%s", res)
				require.Contains(t, res.stdout, "bin\n")
				require.Contains(t, res.stdout, "/tmp/x\n")
				st := statusLines(res.stdout)
				require.Equal(t, "2", st["Seccomp"], "seccomp mode (filter)\n%s", res.stdout)
				require.Equal(t, "1", st["Seccomp_filters"], "exactly one filter\n%s", res.stdout)
				require.Equal(t, map[bool]string{false: "0", true: "1"}[nnp], st["NoNewPrivs"])
			})
			t.Run("static_go_binary", func(t *testing.T) {
				spec := dockerSpec(t, nnp, "sh", "-c", "probe threads && probe errnos")
				b := newBundle(t, spec)
				buildStaticGo(t, b.rootfs, "probe", probeSrc)
				id := "dockergo"
				r.deleteOnCleanup(t, id)
				res := r.run(t, "run", "--bundle", b.dir, id)
				require.Equal(t, 0, res.code, "%s", res)
				lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
				require.Len(t, lines, 2, "%s", res)
				n, err := strconv.Atoi(strings.TrimPrefix(lines[0], "threads="))
				require.NoError(t, err, "%s", res)
				require.GreaterOrEqual(t, n, 9, "eight locked goroutines and main need nine threads\n%s", res)
				require.Equal(t, errnoStr(unix.EPERM), errnoField(t, lines[1], "keyctl"), "docker denies keyctl with EPERM\n%s", res)
				require.Equal(t, errnoStr(unix.ENOSYS), errnoField(t, lines[1], "clone3"), "docker answers clone3 with ENOSYS\n%s", res)
				require.Equal(t, errnoStr(unix.EFAULT), errnoField(t, lines[1], "mkdir"), "mkdir is allowed: the kernel sees the NULL path\n%s", res)
			})
		})
	}
}

// TestSyscallsNewerThanTheProfileGetENOSYS is the container-level proof of
// the ENOSYS rule: a deny-by-default profile allowing every syscall up to
// rseq (334, Linux 4.18) except mkdir. Inside the container the syscalls
// the kernel has but the profile predates (clone3, close_range, openat2,
// faccessat2) fail with ENOSYS, so C libraries fall back; mkdir, older
// than the profile yet not allowed, gets the profile's errno. Without the
// profile the same calls reach the kernel (EINVAL/EFAULT), which shows the
// probe can tell.
func TestSyscallsNewerThanTheProfileGetENOSYS(t *testing.T) {
	r := newRuntime(t)
	einval, efault := errnoStr(unix.EINVAL), errnoStr(unix.EFAULT)
	enosys := errnoStr(unix.ENOSYS)
	eacces := uint(unix.EACCES)
	tests := []struct {
		name      string
		nnp       bool
		profile   func(t *testing.T) *specs.LinuxSeccomp
		newer     string // errno of the four newer syscalls
		olderDeny string // errno of mkdir
	}{
		{"no_profile", false, func(t *testing.T) *specs.LinuxSeccomp { return nil }, einval, efault},
		{"default_eperm", false, func(t *testing.T) *specs.LinuxSeccomp { return oldProfile(t, "rseq", "mkdir") }, enosys, errnoStr(unix.EPERM)},
		{"default_eperm_nnp", true, func(t *testing.T) *specs.LinuxSeccomp { return oldProfile(t, "rseq", "mkdir") }, enosys, errnoStr(unix.EPERM)},
		{"default_errno_ret_eacces", false, func(t *testing.T) *specs.LinuxSeccomp {
			p := oldProfile(t, "rseq", "mkdir")
			p.DefaultErrnoRet = &eacces
			return p
		}, enosys, errnoStr(unix.EACCES)},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := baseSpec("probe", "errnos")
			spec.Process.NoNewPrivileges = tc.nnp
			spec.Linux.Seccomp = tc.profile(t)
			b := newBundle(t, spec)
			buildStaticGo(t, b.rootfs, "probe", probeSrc)
			id := "enosys" + strconv.Itoa(i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, 0, res.code, "%s", res)
			for _, name := range []string{"clone3", "close_range", "openat2", "faccessat2"} {
				require.Equal(t, tc.newer, errnoField(t, res.stdout, name), "%s\n%s", name, res)
			}
			require.Equal(t, tc.olderDeny, errnoField(t, res.stdout, "mkdir"), "mkdir\n%s", res)
		})
	}
}

// TestGlibcPthreadCreateFallsBackFromClone3UnderAnOldProfile: glibc 2.34+
// creates threads with clone3 and falls back to clone only on ENOSYS. A
// static glibc program under a profile older than clone3 starts its thread;
// the same profile with clone3 explicitly answered EPERM (what the default
// action would give without the ENOSYS rule) makes pthread_create fail,
// which shows the ENOSYS rule is what lets it work. NNP puts the filter
// after everything the (Go, glibc) init does but the exec.
func TestGlibcPthreadCreateFallsBackFromClone3UnderAnOldProfile(t *testing.T) {
	r := newRuntime(t)
	tests := []struct {
		name    string
		profile func(t *testing.T) *specs.LinuxSeccomp
		want    string
		code    int
	}{
		{"clone3_newer_than_the_profile", func(t *testing.T) *specs.LinuxSeccomp { return oldProfile(t, "rseq") }, "thread ran: 42\n", 0},
		{"clone3_denied_by_name", func(t *testing.T) *specs.LinuxSeccomp {
			p := oldProfile(t, "rseq")
			p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{"clone3"}, Action: specs.ActErrno})
			return p
		}, "pthread_create: Operation not permitted\n", 1},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := baseSpec("pthread")
			spec.Process.NoNewPrivileges = true
			spec.Linux.Seccomp = tc.profile(t)
			b := newBundle(t, spec)
			buildStaticC(t, b.rootfs, "pthread", pthreadSrc, "-pthread")
			id := "pthread" + strconv.Itoa(i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, tc.code, res.code, "%s", res)
			require.Equal(t, tc.want, res.stdout, "%s", res)
		})
	}
}

// kmsgFollow opens the kernel log positioned at its end; the returned
// function reads every record written since.
func kmsgFollow(t *testing.T) func() string {
	t.Helper()
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("cannot read the kernel log /dev/kmsg: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	_, err = unix.Seek(fd, 0, unix.SEEK_END)
	require.NoError(t, err, "seek /dev/kmsg")
	return func() string {
		var sb strings.Builder
		buf := make([]byte, 8192)
		for {
			n, err := unix.Read(fd, buf)
			if err == unix.EPIPE {
				continue // records were overwritten: go on with the next
			}
			if err != nil || n <= 0 {
				return sb.String()
			}
			sb.Write(buf[:n])
		}
	}
}

// TestSeccompFlagsAreAcceptedAndUnknownOnesRefused: every flag runtime-spec
// defines is accepted and the filter is in force; what the kernel shows of
// a flag is checked where it shows: with LOG the refused mkdir appears in
// the kernel's audit log (type=1326, syscall 83 or 258), without it not;
// SPEC_ALLOW leaves the speculative store bypass state as it was on the
// host (without it, seccomp may force the mitigation on). An unknown flag
// fails create with one line naming linux.seccomp.flags. mkdir is a copy
// of busybox at /gcit-seccomp-log/mkdir, a path only this test runs, so
// the audit record is found by its exe.
func TestSeccompFlagsAreAcceptedAndUnknownOnesRefused(t *testing.T) {
	r := newRuntime(t)
	hostStatus, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	hostSSB := statusLines(string(hostStatus))["Speculation_Store_Bypass"]
	for i, fl := range []specs.LinuxSeccompFlag{
		specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow,
		"SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagWaitKillableRecv,
	} {
		t.Run(string(fl), func(t *testing.T) {
			spec := baseSpec("sh", "-c", "/gcit-seccomp-log/mkdir /tmp/x 2>/dev/null; echo rc=$?; cat /proc/self/status")
			spec.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Flags:         []specs.LinuxSeccompFlag{fl},
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}},
			}
			b := newBundle(t, spec)
			require.NoError(t, os.Mkdir(filepath.Join(b.rootfs, "gcit-seccomp-log"), 0o755))
			out, err := exec.Command("cp", filepath.Join(b.rootfs, "bin", "busybox"), filepath.Join(b.rootfs, "gcit-seccomp-log", "mkdir")).CombinedOutput()
			require.NoError(t, err, "%s", out)
			id := "flag" + strconv.Itoa(i)
			r.deleteOnCleanup(t, id)
			kmsg := kmsgFollow(t)
			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, 0, res.code, "%s", res)
			require.True(t, strings.HasPrefix(res.stdout, "rc=1\n"), "mkdir must be refused\n%s", res)
			st := statusLines(res.stdout)
			require.Equal(t, "2", st["Seccomp"])
			require.Equal(t, "1", st["Seccomp_filters"])
			logged := false
			for _, rec := range strings.Split(kmsg(), "\n") {
				if strings.Contains(rec, "type=1326") && strings.Contains(rec, `exe="/gcit-seccomp-log/mkdir"`) &&
					(strings.Contains(rec, " syscall=83 ") || strings.Contains(rec, " syscall=258 ")) {
					t.Logf("audit record: %s", rec)
					logged = true
				}
			}
			require.Equal(t, fl == specs.LinuxSeccompFlagLog, logged, "audit record of the refused mkdir (only with SECCOMP_FILTER_FLAG_LOG)")
			if fl == specs.LinuxSeccompFlagSpecAllow {
				require.Equal(t, hostSSB, st["Speculation_Store_Bypass"], "SPEC_ALLOW must leave the host's SSB state")
			}
		})
	}
	t.Run("unknown_flag", func(t *testing.T) {
		snap := takeSnapshot(t)
		spec := baseSpec("true")
		cg := uniqueCgroup(t)
		spec.Linux.CgroupsPath = cg
		spec.Linux.Seccomp = &specs.LinuxSeccomp{
			DefaultAction: specs.ActAllow,
			Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, "SECCOMP_FILTER_FLAG_BOGUS"},
		}
		b := newBundle(t, spec)
		id := "badflag"
		r.deleteOnCleanup(t, id)
		res := r.run(t, "create", "--bundle", b.dir, id)
		requireOneLineError(t, res, "linux.seccomp.flags", "SECCOMP_FILTER_FLAG_BOGUS")
		r.requireNothingLeft(t, snap, id, cg)
	})
}

// TestSeccompWaitKillableRecvWithANotifyAgent: WAIT_KILLABLE_RECV only
// means something with a listener (the kernel refuses it otherwise); with
// SCMP_ACT_NOTIFY rules and the flag the agent still answers the trapped
// syscall.
func TestSeccompWaitKillableRecvWithANotifyAgent(t *testing.T) {
	r := newRuntime(t)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	startNotifyAgent(t, sock, unix.ENOMEDIUM)
	spec := baseSpec("sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?")
	spec.Linux.Seccomp = notifyProfile(sock)
	spec.Linux.Seccomp.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}
	b := newBundle(t, spec)
	id := "waitkill"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "%s", res)
	require.Equal(t, "mkdir: can't create directory '/tmp/x': No medium found\nrc=1\n", res.stdout, "%s", res)
}

// TestSeccompLoadOrderFollowsNoNewPrivileges pins where the init loads the
// filter (runc's order). Without no_new_privileges the kernel only lets a
// process holding CAP_SYS_ADMIN install a filter, so it goes on before the
// capabilities are dropped and the user is switched: a container of uid
// 1000 without CAP_SYS_ADMIN still gets its filter, and a profile denying
// capset or setgroups/setresuid breaks create (the init's own capset and
// setgroups run under it). With no_new_privileges it goes on last, after
// the capability and user switch, so the same profiles let the container
// start as uid 1000 with them in force.
func TestSeccompLoadOrderFollowsNoNewPrivileges(t *testing.T) {
	r := newRuntime(t)
	deny := func(names ...string) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: append(names, "mkdir", "mkdirat"), Action: specs.ActErrno},
		}}
	}
	idSyscalls := []string{"setgroups", "setresuid", "setresgid", "setuid", "setgid", "setreuid", "setregid"}
	script := "mkdir /tmp/x 2>/dev/null; echo rc=$?; id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status"
	tests := []struct {
		name    string
		nnp     bool
		profile *specs.LinuxSeccomp
		want    string   // stdout of a container that starts
		errs    []string // or the one-line error of create
	}{
		{
			name: "without_nnp_a_uid_1000_container_without_cap_sys_admin_gets_its_filter",
			nnp:  false, profile: deny(),
			want: "rc=1\n1000\nCapEff:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t2\n",
		},
		{
			name: "without_nnp_capset_denied_fails_the_capability_drop",
			nnp:  false, profile: deny("capset"),
			errs: []string{"capabilities", "operation not permitted"},
		},
		{
			name: "without_nnp_setgroups_and_setresuid_denied_fail_the_user_switch",
			nnp:  false, profile: deny(idSyscalls...),
			errs: []string{"user", "operation not permitted"},
		},
		{
			name: "with_nnp_capset_prctl_and_id_syscalls_denied_still_start",
			nnp:  true, profile: deny(append([]string{"capset", "prctl"}, idSyscalls...)...),
			want: "rc=1\n1000\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n",
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := baseSpec("sh", "-c", script)
			spec.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000}}
			spec.Process.NoNewPrivileges = tc.nnp
			caps := []string{"CAP_KILL"}
			spec.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Permitted: caps}
			spec.Linux.Seccomp = tc.profile
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := newBundle(t, spec)
			id := "order" + strconv.Itoa(i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			if tc.errs != nil {
				t.Logf("stderr: %s", res.stderr)
				requireOneLineError(t, res, tc.errs...)
				r.requireNothingLeft(t, snap, id, cg)
				return
			}
			require.Equal(t, 0, res.code, "%s", res)
			require.Equal(t, tc.want, res.stdout, "%s", res)
		})
	}
}
