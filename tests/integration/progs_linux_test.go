package integration

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

// Programs the seccomp and hardening tests build into a bundle's rootfs:
// the busybox rootfs has no libc, so they are static (a CGO_ENABLED=0 Go
// binary, or gcc -static against glibc).

// goTool is the go command that runs these tests: the one in PATH, else
// the one of the toolchain the test binary was built with.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no go command to build the container helper (PATH and %s): %v", p, err)
	}
	return p
}

// buildStaticGo compiles src (a package main using only the standard
// library) with CGO_ENABLED=0 into rootfs/bin/name.
func buildStaticGo(t *testing.T, rootfs, name, src string) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+name+"\n\ngo 1.22\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
	cmd := exec.Command(goTool(t), "build", "-trimpath", "-o", filepath.Join(rootfs, "bin", name), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s: %s", name, out)
}

// buildStaticC compiles src with gcc -static (glibc) into rootfs/bin/name,
// or skips when gcc or the static glibc is missing.
func buildStaticC(t *testing.T, rootfs, name, src string, flags ...string) {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc is not installed: cannot build the glibc helper")
	}
	dir := t.TempDir()
	c := filepath.Join(dir, name+".c")
	require.NoError(t, os.WriteFile(c, []byte(src), 0o644))
	args := append([]string{"-static", "-O2", "-o", filepath.Join(rootfs, "bin", name), c}, flags...)
	out, err := exec.Command(gcc, args...).CombinedOutput()
	if err != nil && strings.Contains(string(out), "cannot find -lc") {
		t.Skipf("no static glibc (libc6-dev's libc.a): %s", out)
	}
	require.NoError(t, err, "gcc %s: %s", name, out)
}

// nativeSyscalls reads the x86_64 syscall table from the kernel headers
// (linux-libc-dev): name -> number. Seccomp profiles name syscalls; the
// tests need numbers to build a profile "as old as" a given syscall.
func nativeSyscalls(t *testing.T) map[string]int {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skipf("the syscall table is read for x86_64 only, not %s", runtime.GOARCH)
	}
	const hdr = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
	f, err := os.Open(hdr)
	if err != nil {
		t.Skipf("no kernel syscall table %s (linux-libc-dev): %v", hdr, err)
	}
	defer f.Close()
	m := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || fields[0] != "#define" || !strings.HasPrefix(fields[1], "__NR_") {
			continue
		}
		if nr, err := strconv.Atoi(fields[2]); err == nil {
			m[strings.TrimPrefix(fields[1], "__NR_")] = nr
		}
	}
	require.NoError(t, sc.Err())
	require.Greater(t, len(m), 300, "syscall table %s looks truncated", hdr)
	return m
}

// oldProfile allows every native syscall numbered up to newest except
// those in deny, and returns the default (errno) action for everything
// else: a profile written when `newest` was the newest syscall.
func oldProfile(t *testing.T, newest string, deny ...string) *specs.LinuxSeccomp {
	t.Helper()
	table := nativeSyscalls(t)
	top, ok := table[newest]
	require.True(t, ok, "syscall %s not in the table", newest)
	var names []string
	for name, nr := range table {
		if nr <= top && !contains(deny, name) {
			names = append(names, name)
		}
	}
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86_64},
		Syscalls:      []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}},
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dockerCaps is the capability set Docker gives a container by default
// (moby oci/caps/defaults.go).
var dockerCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// statusLines returns the /proc/<pid>/status-style "Key:\tvalue" lines of
// out as a map.
func statusLines(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(l, ":")
		if ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}
