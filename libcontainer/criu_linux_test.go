package libcontainer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/sys/mountinfo"
	"github.com/stretchr/testify/require"
)

func TestParseCriuVersion(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want int
	}{
		{"Version: 4.2.1\n", 40201},
		{"Version: 3.17\nGitID: v3.17\n", 31700},
		{"Version: 4.2-rc1\n", 40200},
	} {
		got, err := parseCriuVersion(tc.out)
		require.NoError(t, err, tc.out)
		require.Equal(t, tc.want, got, tc.out)
	}
	_, err := parseCriuVersion("criu: unknown option\n")
	require.ErrorContains(t, err, `no "Version:" line`)
	require.Equal(t, "4.2.1", formatCriuVersion(40201))
	require.Equal(t, "3.17", formatCriuVersion(31700))
}

// A fake criu that is too old is refused with both versions named.
func TestCriuBinaryTooOld(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "criu"), []byte("#!/bin/sh\necho 'Version: 3.1'\n"), 0o755))
	t.Setenv("PATH", dir)
	_, err := CriuBinary()
	require.ErrorIs(t, err, ErrCriu)
	require.ErrorContains(t, err, "is CRIU 3.1, this kernel needs CRIU "+formatCriuVersion(criuNeeded())+" or newer")

	t.Setenv("PATH", t.TempDir())
	_, err = CriuBinary()
	require.ErrorContains(t, err, "criu is not installed")
}

func TestCgroupControllers(t *testing.T) {
	require.Equal(t, "memory", cgroupControllers("rw,memory"))
	require.Equal(t, "cpu,cpuacct", cgroupControllers("rw,cpu,cpuacct"))
	require.Equal(t, "name=systemd", cgroupControllers("rw,xattr,release_agent=/x,name=systemd"))
}

// Binds of host paths are external; binds of paths the container itself
// shows (masked /dev/null, read-only self binds) are not.
func TestExternalMountClassification(t *testing.T) {
	root := &mountinfo.Info{Mountpoint: "/", Major: 8, Minor: 1, Root: "/bundles/b/rootfs", FSType: "ext4"}
	dev := &mountinfo.Info{Mountpoint: "/dev", Major: 0, Minor: 50, Root: "/", FSType: "tmpfs"}
	masked := &mountinfo.Info{Mountpoint: "/proc/kcore", Major: 0, Minor: 50, Root: "/null", FSType: "tmpfs"}
	volume := &mountinfo.Info{Mountpoint: "/data", Major: 8, Minor: 1, Root: "/srv/data", FSType: "ext4"}
	selfBind := &mountinfo.Info{Mountpoint: "/etc/ro", Major: 8, Minor: 1, Root: "/bundles/b/rootfs/etc/ro", FSType: "ext4"}
	cg := &mountinfo.Info{Mountpoint: "/sys/fs/cgroup/memory", Major: 0, Minor: 30, Root: "/ctr", FSType: "cgroup"}
	all := []*mountinfo.Info{root, dev, masked, volume, selfBind, cg}
	require.True(t, coveredInside(all, masked))
	require.True(t, coveredInside(all, selfBind))
	require.False(t, coveredInside(all, volume))
	require.False(t, coveredInside(all, cg))

	host := []*mountinfo.Info{
		{Mountpoint: "/", Major: 8, Minor: 1, Root: "/"},
		{Mountpoint: "/sys/fs/cgroup/memory", Major: 0, Minor: 30, Root: "/"},
	}
	require.Equal(t, "/srv/data", hostPath(host, volume))
	require.Equal(t, "/sys/fs/cgroup/memory/ctr", hostPath(host, cg))
	require.Equal(t, "", hostPath(host, masked))
}

func TestCriuOptionValues(t *testing.T) {
	m, err := emptyNsMask([]string{"network"})
	require.NoError(t, err)
	require.NotZero(t, m)
	_, err = emptyNsMask([]string{"ipc"})
	require.ErrorContains(t, err, `--empty-ns "ipc"`)
	_, err = cgroupsMode("bogus")
	require.ErrorContains(t, err, `--manage-cgroups-mode "bogus"`)
	mode, err := cgroupsMode("full")
	require.NoError(t, err)
	require.Equal(t, "FULL", mode.String())
	require.Equal(t, "extRootNetNS", externalNsKey("net"))
	require.Equal(t, "extRootPidNS", externalNsKey("pid"))
}

func TestCriuLogErrorPicksTheCause(t *testing.T) {
	dir := t.TempDir()
	log := "(00.1) Error (criu/util.c:1534): rlimit: harmless\n" +
		"(00.2) Error (criu/net.c:3436): net: Locking network failed\n" +
		"(00.3) Error (criu/util.c:657): exited, status=1\n" +
		"(00.4) Error (criu/cr-dump.c:1975): Dumping FAILED.\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dump.log"), []byte(log), 0o600))
	require.Equal(t, "Error (criu/net.c:3436): net: Locking network failed", criuLogError(dir, "dump.log"))
	log = "(00.1) Error (criu/files-reg.c:1790): Can't lookup mount=27 for fd=1 path=/tmp/out\n" +
		"(00.2) Error (criu/cr-dump.c:1545): Dump files (pid: 1) failed with -1\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dump.log"), []byte(log), 0o600))
	require.Equal(t, "Error (criu/files-reg.c:1790): Can't lookup mount=27 for fd=1 path=/tmp/out", criuLogError(dir, "dump.log"))
	require.Equal(t, "", criuLogError(dir, "missing.log"))
	// Nothing telling before the summary: no line (the caller then names
	// only the log), not the harmless probe nor what follows the summary.
	log = "(00.1) Error (criu/tun.c:85): tun: Unable to create tun: Operation not permitted\n" +
		"(00.2) Error (criu/cr-restore.c:2331): Restoring FAILED.\n" +
		"(00.3) Error (criu/cgroup.c:2055): cg: cgroupd: recv req error\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "restore.log"), []byte(log), 0o600))
	require.Equal(t, "", criuLogError(dir, "restore.log"))
}
