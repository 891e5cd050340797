package support

import "testing"

func TestCgroupDirFollowsTheDriver(t *testing.T) {
	t.Setenv("GOCONTAINER_TEST_SYSTEMD_CGROUP", "")
	for _, p := range []string{"/contest-1/ct-ab", "system.slice:contest-1:ct-ab"} {
		if got := CgroupDir(p); got != p {
			t.Errorf("cgroupfs: CgroupDir(%q) = %q, want it unchanged", p, got)
		}
	}
	t.Setenv("GOCONTAINER_TEST_SYSTEMD_CGROUP", "1")
	for in, want := range map[string]string{
		"system.slice:contest-1:ct-ab": "/system.slice/contest-1-ct-ab.scope",
		":crio:abc":                    "/system.slice/crio-abc.scope",
		"a-b.slice:p:n":                "/a.slice/a-b.slice/p-n.scope",
		"/contest-1/x":                 "/contest-1/x",
	} {
		if got := CgroupDir(in); got != want {
			t.Errorf("systemd: CgroupDir(%q) = %q, want %q", in, got, want)
		}
	}
}
