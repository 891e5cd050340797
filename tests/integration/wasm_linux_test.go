package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// WebAssembly containers (docs/wasm.md): the WASI test module
// (testdata/wasi, built here with GOOS=wasip1 GOARCH=wasm) runs as the
// container process, selected by crun's annotations.

var (
	wasmOnce    sync.Once
	wasmDir     string
	wasmErr     error
	wasmModules = []string{"wasi", "wasiunsupported"}
)

// wasmModule returns the path of a test module built once per test
// process (testdata/<name>).
func wasmModule(t *testing.T, name string) string {
	t.Helper()
	// Looked up outside the Once: a skip inside it would end the first
	// test and leave the Once done with no modules for the others.
	goCmd := goTool(t)
	wasmOnce.Do(func() {
		wasmDir, wasmErr = os.MkdirTemp("", "gcit-wasm-")
		if wasmErr != nil {
			return
		}
		for _, m := range wasmModules {
			cmd := exec.Command(goCmd, "build", "-trimpath", "-o", filepath.Join(wasmDir, m+".wasm"), "./testdata/"+m)
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				wasmErr = fmt.Errorf("build testdata/%s for wasip1: %v: %s", m, err, out)
				return
			}
		}
	})
	require.NoError(t, wasmErr)
	return filepath.Join(wasmDir, name+".wasm")
}

// wasmBundle is a busybox bundle with the module at /app/<entry> (mode
// 0755, like a native entrypoint) and /etc/wasm-msg to read.
func wasmBundle(t *testing.T, spec *specs.Spec, module, entry string) *bundle {
	t.Helper()
	b := newBundle(t, spec)
	data, err := os.ReadFile(module)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(b.rootfs, "app"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(b.rootfs, "app", entry), data, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(b.rootfs, "etc", "wasm-msg"), []byte("from the rootfs"), 0o644))
	return b
}

func TestWasmModuleRunsAsTheContainerProcess(t *testing.T) {
	r := newRuntime(t)
	mod := wasmModule(t, "wasi")
	for i, tc := range []struct {
		name        string
		annotations map[string]string
		entry       string
	}{
		{"handler_wasm", map[string]string{"run.oci.handler": "wasm"}, "hello"},
		{"handler_wasm_smart", map[string]string{"run.oci.handler": "wasm-smart"}, "hello.wasm"},
		{"variant_compat", map[string]string{"module.wasm.image/variant": "compat"}, "hello"},
		{"variant_compat_smart", map[string]string{"module.wasm.image/variant": "compat-smart"}, "hello.wasm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := baseSpec("/app/"+tc.entry, "args", "env", "FOO", "pwd", "cat", "/etc/wasm-msg", "cat", "msg-relative", "exit", "7")
			spec.Annotations = tc.annotations
			spec.Process.Env = append(spec.Process.Env, "FOO=bar baz")
			spec.Process.Cwd = "/etc"
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := wasmBundle(t, spec, mod, tc.entry)
			require.NoError(t, os.WriteFile(filepath.Join(b.rootfs, "etc", "msg-relative"), []byte("relative to the cwd"), 0o644))
			id := fmt.Sprintf("wasm%d", i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, 7, res.code, "the module's exit code is the container's\n%s", res)
			require.Empty(t, res.stderr, "%s", res)
			require.Equal(t, strings.Join([]string{
				"args=[/app/" + tc.entry + " args env FOO pwd cat /etc/wasm-msg cat msg-relative exit 7]",
				"FOO=bar baz",
				"pwd=/etc <nil>",
				"cat /etc/wasm-msg: from the rootfs",
				"cat msg-relative: relative to the cwd",
			}, "\n")+"\n", res.stdout)
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}

// The -smart forms leave an entrypoint that is not a .wasm/.wat file to
// the native execve (the other containers of a pod), and no annotation
// means native.
func TestWasmSmartHandlersLeaveNativeEntrypointsNative(t *testing.T) {
	r := newRuntime(t)
	for i, ann := range []map[string]string{
		{"run.oci.handler": "wasm-smart"},
		{"module.wasm.image/variant": "compat-smart"},
		{"module.wasm.image/variant": "linux/amd64"},
	} {
		spec := baseSpec("sh", "-c", "echo native; exit 4")
		spec.Annotations = ann
		b := newBundle(t, spec)
		id := fmt.Sprintf("wasmnat%d", i)
		r.deleteOnCleanup(t, id)
		res := r.run(t, "run", "--bundle", b.dir, id)
		require.Equal(t, 4, res.code, "%v\n%s", ann, res)
		require.Equal(t, "native\n", res.stdout)
	}
}

// The module runs inside the container: its cgroup, its namespaces, the
// spec's capabilities, no_new_privileges and seccomp filter; exec into the
// container runs native programs; kill ends the module.
func TestWasmContainerIsConfinedAndTakesExecAndKill(t *testing.T) {
	r := newRuntime(t)
	mod := wasmModule(t, "wasi")
	snap := takeSnapshot(t)
	spec := baseSpec("/app/hello.wasm", "sleep")
	spec.Annotations = map[string]string{"run.oci.handler": "wasm-smart"}
	spec.Process.NoNewPrivileges = true
	spec.Linux.Seccomp = &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"sethostname"}, Action: specs.ActErrno}},
	}
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := wasmBundle(t, spec, mod, "hello.wasm")
	id := "wasmkill"
	r.deleteOnCleanup(t, id)
	r.ok(t, "run", "--detach", "--bundle", b.dir, id)
	pid := r.mustState(t, id).Pid
	eventually(t, 30*time.Second, "the module to run (comm hello.wasm)", func() bool {
		comm, _ := os.ReadFile(filepathJoinProc(pid, "comm"))
		return string(comm) == "hello.wasm\n"
	})
	status := readFile(t, filepathJoinProc(pid, "status"))
	require.Equal(t, "2", statusLine(status, "Seccomp"), "the module runs under the spec's filter")
	require.Equal(t, "1", statusLine(status, "NoNewPrivs"))
	require.Equal(t, "0000000020000420", statusLine(status, "CapEff"), "CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29)")
	require.Contains(t, pidsOf(t, cg), pid, "the module's process is in the container's cgroup")
	for _, ns := range []string{"pid", "mnt", "net", "uts", "ipc"} {
		self, err := os.Readlink("/proc/self/ns/" + ns)
		require.NoError(t, err)
		theirs, err := os.Readlink(filepathJoinProc(pid, "ns/"+ns))
		require.NoError(t, err)
		require.NotEqual(t, self, theirs, "%s namespace", ns)
	}
	// No descriptor of the runtime (nor the runner's memfd, nor the
	// module file once compiled) is left open in the container process:
	// stdio, the WASI preopen of "/", and the Go netpoller's epoll and
	// eventfd. Polled: the runner holds the module file while reading it.
	var open []string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		open = open[:0]
		fds, err := os.ReadDir(filepathJoinProc(pid, "fd"))
		require.NoError(t, err)
		for _, fd := range fds {
			target, _ := os.Readlink(filepathJoinProc(pid, "fd/"+fd.Name()))
			switch {
			case fd.Name() == "0" || fd.Name() == "1" || fd.Name() == "2":
			case target == "/" || target == "anon_inode:[eventpoll]" || target == "anon_inode:[eventfd]":
			default:
				open = append(open, fd.Name()+" -> "+target)
			}
		}
		if len(open) == 0 || time.Now().After(deadline) {
			break
		}
	}
	require.Empty(t, open, "descriptors open in the module's process besides stdio, the preopen and the poller")

	// exec runs a native program, whatever the container's handler.
	res := r.ok(t, "exec", id, "cat", "/proc/1/comm", "/etc/wasm-msg")
	require.Equal(t, "hello.wasm\nfrom the rootfs", res.stdout)

	r.ok(t, "kill", id, "TERM")
	r.waitStatus(t, id, "stopped")
	r.ok(t, "delete", id)
	r.requireNothingLeft(t, snap, id, cg)
}

// A terminal container's module has the pty as its stdio.
func TestWasmModuleOnATerminal(t *testing.T) {
	r := newRuntime(t)
	mod := wasmModule(t, "wasi")
	spec := terminalSpec("/app/hello.wasm", "args", "echo")
	spec.Annotations = map[string]string{"run.oci.handler": "wasm"}
	b := wasmBundle(t, spec, mod, "hello.wasm")
	cr := newConsoleReceiver(t)
	id := "wasmtty"
	r.deleteOnCleanup(t, id)
	r.ok(t, "create", "--console-socket", cr.path, "--bundle", b.dir, id)
	master := cr.receive(t)
	r.ok(t, "start", id)
	out := readTerminal(master)
	out.waitFor(t, `args=\[/app/hello.wasm args echo\]`)
	_, err := master.WriteString("typed on the pty\n")
	require.NoError(t, err)
	// The line discipline echoes it once, the module copies it once.
	out.waitFor(t, `(?s)typed on the pty\r?\n.*typed on the pty`)
	_, err = master.Write([]byte{4}) // ^D: EOF for the module's stdin
	require.NoError(t, err)
	r.waitStatus(t, id, "stopped")
}

// Modules that cannot run fail with one line and leave nothing behind.
func TestWasmBadModulesFailWithOneLine(t *testing.T) {
	r := newRuntime(t)
	mod := wasmModule(t, "wasi")
	bad := wasmModule(t, "wasiunsupported")
	garbage := filepath.Join(t.TempDir(), "garbage.wasm")
	require.NoError(t, os.WriteFile(garbage, []byte("#!/bin/sh\necho not wasm\n"), 0o755))
	// Refused by create (the executor's check, while the runtime still
	// listens): code 0 here means "not checked"; the runner's own refusals
	// come after start, from the container process, with 126.
	for i, tc := range []struct {
		name        string
		module      string
		entry       string
		args        []string
		annotations map[string]string
		code        int
		wants       []string
	}{
		{"not_a_module", garbage, "m.wasm", []string{"/app/m.wasm"}, map[string]string{"run.oci.handler": "wasm"}, 0, []string{"/app/m.wasm", "not a WebAssembly binary module"}},
		{"text_format", garbage, "m.wat", []string{"/app/m.wat"}, map[string]string{"run.oci.handler": "wasm-smart"}, 0, []string{"/app/m.wat", "text format is not supported"}},
		{"unsupported_wasi_call", bad, "m.wasm", []string{"/app/m.wasm"}, map[string]string{"run.oci.handler": "wasm"}, 126, []string{"unsupported WASI call", "sock_open"}},
		{"missing_entrypoint", mod, "m.wasm", []string{"/app/nope.wasm"}, map[string]string{"run.oci.handler": "wasm"}, 0, []string{"/app/nope.wasm", "no such file"}},
		{"unknown_handler", mod, "m.wasm", []string{"/app/m.wasm"}, map[string]string{"run.oci.handler": "krun"}, 0, []string{"run.oci.handler", "krun"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := takeSnapshot(t)
			spec := baseSpec(tc.args...)
			spec.Annotations = tc.annotations
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			b := wasmBundle(t, spec, tc.module, tc.entry)
			id := fmt.Sprintf("wasmbad%d", i)
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			if tc.code != 0 {
				require.Equal(t, tc.code, res.code, "%s", res)
			}
			requireOneLineError(t, res, tc.wants...)
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}
