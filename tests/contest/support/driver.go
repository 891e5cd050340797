package support

import (
	"os"
	"path/filepath"
	"strings"
)

// SystemdDriver reports whether the runtime under test runs with the
// systemd cgroup driver (GOCONTAINER_TEST_SYSTEMD_CGROUP=1: hack/vm/suite.sh
// sets it for "contest@systemd", whose runtime is a wrapper adding
// --systemd-cgroup). Containers then get cgroupsPath in systemd's
// slice:prefix:name form (NewContainerWithID) and CgroupDir finds the
// scope's cgroup.
func SystemdDriver() bool {
	return os.Getenv("GOCONTAINER_TEST_SYSTEMD_CGROUP") == "1"
}

// CgroupDir is the path, relative to a hierarchy root, of the cgroup of
// cgroupsPath cg: cg itself for the cgroupfs driver; with the systemd
// driver a "slice:prefix:name" is the scope prefix-name.scope below the
// slice's directories (a-b.slice is a.slice/a-b.slice), as docs/systemd.md
// lays them out.
func CgroupDir(cg string) string {
	if !SystemdDriver() {
		return cg
	}
	f := strings.Split(cg, ":")
	if len(f) != 3 {
		return cg
	}
	slice, prefix, name := f[0], f[1], f[2]
	if slice == "" {
		slice = "system.slice"
	}
	dir := "/"
	if slice != "-.slice" {
		parts := strings.Split(strings.TrimSuffix(slice, ".slice"), "-")
		for i := range parts {
			dir = filepath.Join(dir, strings.Join(parts[:i+1], "-")+".slice")
		}
	}
	unit := name + ".scope"
	if prefix != "" {
		unit = prefix + "-" + unit
	}
	return filepath.Join(dir, unit)
}
