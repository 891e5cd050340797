package common

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestParseProcCgroupHybridHost(t *testing.T) {
	data := "9:name=systemd:/\n2:cpu,cpuacct:/a:b\n4:memory:/process_api/817\n0::/user.slice\n"
	got, err := ParseProcCgroup([]byte(data))
	require.NoError(t, err)
	require.Equal(t, []ProcCgroup{
		{ID: 9, Controllers: []string{"name=systemd"}, Path: "/"},
		{ID: 2, Controllers: []string{"cpu", "cpuacct"}, Path: "/a:b"},
		{ID: 4, Controllers: []string{"memory"}, Path: "/process_api/817"},
		{ID: 0, Path: "/user.slice"},
	}, got)
}

func TestParseProcCgroupRejectsMalformedLines(t *testing.T) {
	for _, line := range []string{"garbage", "x:cpu:/", "-1:cpu:/", "3:cpu:relative", "3::/"} {
		t.Run(line, func(t *testing.T) {
			_, err := ParseProcCgroup([]byte(line + "\n"))
			require.Error(t, err)
			require.Contains(t, err.Error(), line)
		})
	}
}

func TestParseCgroupMountsKeepsOnlyCgroupsAndUnescapes(t *testing.T) {
	data := `22 1 0:21 / /sys rw,nosuid shared:7 - sysfs sysfs rw
31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 master:2 - cgroup cgroup rw,cpu,cpuacct
39 30 0:36 /docker/x /my\040cgroups/systemd rw - cgroup cgroup rw,xattr,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
`
	got, err := ParseCgroupMounts([]byte(data))
	require.NoError(t, err)
	require.Equal(t, []Mount{
		{Root: "/", Mountpoint: "/sys/fs/cgroup/cpu,cpuacct", FSType: "cgroup", SuperOpts: []string{"rw", "cpu", "cpuacct"}},
		{Root: "/docker/x", Mountpoint: "/my cgroups/systemd", FSType: "cgroup", SuperOpts: []string{"rw", "xattr", "name=systemd"}},
		{Root: "/", Mountpoint: "/sys/fs/cgroup/unified", FSType: "cgroup2", SuperOpts: []string{"rw", "nsdelegate"}},
	}, got)
}

func TestParseCgroupMountsRejectsBadLines(t *testing.T) {
	for _, line := range []string{
		"31 30 0:28 / /x rw cgroup cgroup rw",          // no separator
		"31 30 / - cgroup cgroup rw",                   // too few fields
		`31 30 0:28 / /x\04 rw - cgroup cgroup rw,cpu`, // truncated escape
	} {
		_, err := ParseCgroupMounts([]byte(line + "\n"))
		require.Error(t, err, line)
	}
}

func TestCleanPath(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "/foo/bar", want: "/foo/bar"},
		{in: "//foo/./bar/", want: "/foo/bar"},
		{in: "foo", want: "foo"},
		{in: "foo/../bar", want: "bar"},
		{in: "/a/b/../c", want: "/a/c"},
		{in: "machine.slice:runc:abc", want: "machine.slice:runc:abc"},
		{in: "", err: "empty"},
		{in: "..", err: "escapes"},
		{in: "../sibling", err: "escapes"},
		{in: "/../../etc", err: "escapes"},
		{in: "a/../../b", err: "escapes"},
		{in: "/", err: "cgroup root itself"},
		{in: ".", err: "cgroup root itself"},
		{in: "a/..", err: "cgroup root itself"},
		{in: "a\x00b", err: "NUL"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := CleanPath(tc.in)
			if tc.err != "" {
				require.ErrorIs(t, err, ErrInvalidPath)
				require.ErrorContains(t, err, tc.err)
				require.ErrorContains(t, err, "linux.cgroupsPath")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestJoinCgroupDir(t *testing.T) {
	for _, tc := range []struct {
		name, mp, mroot, own, inner, want, err string
	}{
		{name: "absolute ignores own cgroup", mp: "/sys/fs/cgroup/memory", mroot: "/", own: "/process_api/1", inner: "/foo/bar", want: "/sys/fs/cgroup/memory/foo/bar"},
		{name: "relative is below own cgroup", mp: "/sys/fs/cgroup/memory", mroot: "/", own: "/process_api/1", inner: "ctr", want: "/sys/fs/cgroup/memory/process_api/1/ctr"},
		{name: "relative from root cgroup", mp: "/sys/fs/cgroup/pids", mroot: "/", own: "/", inner: "a/b", want: "/sys/fs/cgroup/pids/a/b"},
		{name: "bind-mounted sub-cgroup strips mount root", mp: "/sys/fs/cgroup/cpu", mroot: "/docker/x", own: "/docker/x/inner", inner: "ctr", want: "/sys/fs/cgroup/cpu/inner/ctr"},
		{name: "own cgroup outside mount root", mp: "/sys/fs/cgroup/cpu", mroot: "/docker/x", own: "/other", inner: "ctr", err: "outside the hierarchy"},
		{name: "own cgroup unknown", mp: "/sys/fs/cgroup/cpu", mroot: "/", own: "", inner: "ctr", err: "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := JoinCgroupDir(tc.mp, tc.mroot, tc.own, tc.inner)
			if tc.err != "" {
				require.ErrorIs(t, err, ErrInvalidPath)
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParsePidsAndFlatKeyed(t *testing.T) {
	pids, err := ParsePids([]byte("12\n345\n"))
	require.NoError(t, err)
	require.Equal(t, []int{12, 345}, pids)
	_, err = ParsePids([]byte("12\nx\n"))
	require.ErrorContains(t, err, `"x"`)

	kv, err := ParseFlatKeyed([]byte("populated 1\nfrozen 0\n"))
	require.NoError(t, err)
	require.Equal(t, map[string]uint64{"populated": 1, "frozen": 0}, kv)
	_, err = ParseFlatKeyed([]byte("frozen\n"))
	require.Error(t, err)

	v, err := ParseUintOrMax("max\n")
	require.NoError(t, err)
	require.Zero(t, v)
	v, err = ParseUintOrMax("42\n")
	require.NoError(t, err)
	require.EqualValues(t, 42, v)
}

func TestPidsMaxValueTreatsZeroAsUnlimited(t *testing.T) {
	for limit, want := range map[int64]string{-1: "max", -5: "max", 0: "max", 1: "1", 42: "42"} {
		require.Equal(t, want, PidsMaxValue(limit), "limit %d", limit)
	}
}

func TestV2ControllersNeededByResources(t *testing.T) {
	limit := int64(3)
	shares := uint64(100)
	r := &specs.LinuxResources{
		Pids:           &specs.LinuxPids{Limit: &limit},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}},
		CPU:            &specs.LinuxCPU{Shares: &shares},
		Unified:        map[string]string{"memory.high": "1G", "cgroup.type": "threaded", "pids.max": "5"},
	}
	require.Equal(t, []string{"cpu", "hugetlb", "memory", "pids"}, V2Controllers(r))
	require.Nil(t, V2Controllers(nil))
}

// FuzzCleanPath checks the invariants callers rely on: a cleaned path never
// contains "..", keeps its absoluteness, is not the start itself, and is a
// fixed point.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"/a/b", "a", "../x", "/a/../../b", "a//b/./c", "/", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := CleanPath(in)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidPath)
			return
		}
		for _, e := range strings.Split(out, "/") {
			require.NotEqual(t, "..", e)
		}
		require.Equal(t, strings.HasPrefix(in, "/"), strings.HasPrefix(out, "/"))
		require.NotContains(t, []string{"", "/", "."}, out)
		again, err := CleanPath(out)
		require.NoError(t, err)
		require.Equal(t, out, again)
	})
}

func FuzzParseProcCgroup(f *testing.F) {
	f.Add("9:name=systemd:/\n2:cpu,cpuacct:/x\n0::/\n")
	f.Add("1:a:/b:c\n")
	f.Fuzz(func(t *testing.T, in string) {
		lines, err := ParseProcCgroup([]byte(in))
		if err != nil {
			return
		}
		for _, l := range lines {
			require.True(t, strings.HasPrefix(l.Path, "/"))
			require.GreaterOrEqual(t, l.ID, 0)
			if l.ID != 0 {
				require.NotEmpty(t, l.Controllers)
			}
		}
	})
}

func FuzzParseCgroupMounts(f *testing.F) {
	f.Add("31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n")
	f.Add(`39 30 0:36 /a /b\040c rw - cgroup2 cgroup2 rw` + "\n")
	f.Fuzz(func(t *testing.T, in string) {
		mounts, err := ParseCgroupMounts([]byte(in))
		if err != nil {
			return
		}
		for _, m := range mounts {
			require.Contains(t, []string{"cgroup", "cgroup2"}, m.FSType)
			require.NotEmpty(t, m.SuperOpts)
		}
	})
}

func FuzzParseFlatKeyed(f *testing.F) {
	f.Add("populated 1\nfrozen 0\n")
	f.Fuzz(func(t *testing.T, in string) {
		kv, err := ParseFlatKeyed([]byte(in))
		if err != nil {
			return
		}
		for k := range kv {
			require.NotContains(t, k, " ")
		}
	})
}
