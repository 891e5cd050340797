package integration

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// mountOpts returns the per-mount options (mountinfo field 6) of every
// mount point in a mountinfo text.
func mountOpts(mountinfo string) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(mountinfo), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 {
			out[f[4]] = strings.Split(f[5], ",")
		}
	}
	return out
}

// TestMountAttrRecursiveOptionsReachTheSubmount: every recursive mount
// attribute option (mount_setattr(2) with AT_RECURSIVE) shows in the
// container's /proc/self/mountinfo on the bind mount and on the submount
// of its source. The "clearing" options start from a host tree that has
// the attribute set (a bind remount on the host), so each row can fail.
func TestMountAttrRecursiveOptionsReachTheSubmount(t *testing.T) {
	r := newRuntime(t)
	tests := []struct {
		option string
		// host are the MS_* flags the host tree's mounts get first.
		host uintptr
		// has must be among the options, hasNot must not.
		has, hasNot []string
	}{
		{option: "rro", has: []string{"ro"}, hasNot: []string{"rw"}},
		{option: "rrw", host: unix.MS_RDONLY, has: []string{"rw"}, hasNot: []string{"ro"}},
		{option: "rnosuid", has: []string{"nosuid"}},
		{option: "rsuid", host: unix.MS_NOSUID, hasNot: []string{"nosuid"}},
		{option: "rnodev", has: []string{"nodev"}},
		{option: "rdev", host: unix.MS_NODEV, hasNot: []string{"nodev"}},
		{option: "rnoexec", has: []string{"noexec"}},
		{option: "rexec", host: unix.MS_NOEXEC, hasNot: []string{"noexec"}},
		{option: "rnoatime", has: []string{"noatime"}, hasNot: []string{"relatime"}},
		{option: "ratime", host: unix.MS_NOATIME, has: []string{"relatime"}, hasNot: []string{"noatime"}},
		{option: "rrelatime", host: unix.MS_NOATIME, has: []string{"relatime"}, hasNot: []string{"noatime"}},
		// norelatime withdraws relatime, leaving the kernel default:
		// relatime again, also over a strictatime host tree.
		{option: "rnorelatime", host: unix.MS_STRICTATIME, has: []string{"relatime"}, hasNot: []string{"noatime"}},
		{option: "rstrictatime", hasNot: []string{"relatime", "noatime"}},
		{option: "rnostrictatime", host: unix.MS_STRICTATIME, has: []string{"relatime"}, hasNot: []string{"noatime"}},
		{option: "rnodiratime", has: []string{"nodiratime"}},
		{option: "rdiratime", host: unix.MS_NODIRATIME, hasNot: []string{"nodiratime"}},
		{option: "rnosymfollow", has: []string{"nosymfollow"}},
		{option: "rsymfollow", host: unix.MS_NOSYMFOLLOW, hasNot: []string{"nosymfollow"}},
	}
	for _, tc := range tests {
		t.Run(tc.option, func(t *testing.T) {
			top := filepath.Join(t.TempDir(), "top")
			require.NoError(t, os.Mkdir(top, 0o755))
			require.NoError(t, unix.Mount("tmpfs", top, "tmpfs", 0, "size=1m"))
			t.Cleanup(func() { _ = unix.Unmount(top, unix.MNT_DETACH) })
			sub := filepath.Join(top, "sub")
			require.NoError(t, os.Mkdir(sub, 0o755))
			require.NoError(t, unix.Mount("tmpfs", sub, "tmpfs", 0, "size=1m"))
			if tc.host != 0 {
				for _, p := range []string{top, sub} {
					require.NoError(t, unix.Mount("", p, "", unix.MS_REMOUNT|unix.MS_BIND|tc.host, ""), "host remount %s", p)
				}
				// The host side really starts from the opposite state.
				before := mountOpts(readFile(t, "/proc/self/mountinfo"))[sub]
				require.NotEmpty(t, before)
				for _, o := range tc.has {
					require.NotContains(t, before, o, "host submount already has %s", o)
				}
			}
			snap := takeSnapshot(t)

			spec := baseSpec("cat", "/proc/self/mountinfo")
			cg := uniqueCgroup(t)
			spec.Linux.CgroupsPath = cg
			spec.Mounts = append(spec.Mounts, specs.Mount{
				Destination: "/mnt", Type: "bind", Source: top, Options: []string{"rbind", tc.option},
			})
			b := newBundle(t, spec)
			id := "mattr-" + tc.option
			r.deleteOnCleanup(t, id)
			res := r.run(t, "run", "--bundle", b.dir, id)
			require.Equal(t, 0, res.code, "run\n%s", res)
			opts := mountOpts(res.stdout)
			for _, mp := range []string{"/mnt", "/mnt/sub"} {
				got, ok := opts[mp]
				require.True(t, ok, "no %s in the container's mountinfo:\n%s", mp, res.stdout)
				for _, o := range tc.has {
					require.True(t, slices.Contains(got, o), "%s: %s lacks %q: %v", tc.option, mp, o, got)
				}
				for _, o := range tc.hasNot {
					require.False(t, slices.Contains(got, o), "%s: %s still has %q: %v", tc.option, mp, o, got)
				}
			}
			r.requireNothingLeft(t, snap, id, cg)
		})
	}
}
