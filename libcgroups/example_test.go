package libcgroups_test

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcgroups"
)

// Where a container's cgroup goes, on a cgroup v2 host, for the three forms
// of linux.cgroupsPath. The Host fakes statfs and /proc/self/cgroup so the
// example runs anywhere; New itself creates nothing.
func Example() {
	host := libcgroups.Host{
		Root: "/sys/fs/cgroup",
		Statfs: func(_ string, st *unix.Statfs_t) error {
			st.Type = unix.CGROUP2_SUPER_MAGIC
			return nil
		},
		ReadProcSelf: func(string) ([]byte, error) {
			return []byte("0::/user.slice/session-1.scope\n"), nil
		},
	}
	for _, p := range []string{"/machine/web", "web", ""} {
		m, err := libcgroups.New(libcgroups.Config{Host: host, Path: p, Name: "ctr1"})
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%q -> %s\n", p, m.Paths()[""])
	}
	_, err := libcgroups.New(libcgroups.Config{Host: host, Path: "../escape"})
	fmt.Println(err)
	// Output:
	// "/machine/web" -> /sys/fs/cgroup/machine/web
	// "web" -> /sys/fs/cgroup/user.slice/session-1.scope/web
	// "" -> /sys/fs/cgroup/user.slice/session-1.scope/ctr1
	// linux.cgroupsPath "../escape" escapes its cgroup root: invalid cgroup path
}

// The life of a container's cgroup as a runtime drives it (needs root).
func Example_lifecycle() {
	limit := int64(100)
	res := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
	m, err := libcgroups.New(libcgroups.Config{Path: "/gocontainer/ctr1", Name: "ctr1", Resources: res})
	if err != nil {
		panic(err)
	}
	pid := 12345                         // the container's init
	if err := m.Apply(pid); err != nil { // create and join
		panic(err)
	}
	if err := m.Set(res); err != nil { // pids.max = 100
		panic(err)
	}
	saved := m.Paths() // store in state.json

	// A later command (pause, delete) rebuilds the manager from state.json.
	m, err = libcgroups.Load(libcgroups.Config{}, saved)
	if err != nil {
		panic(err)
	}
	_ = m.Freeze(libcgroups.Frozen)
	_ = m.Freeze(libcgroups.Thawed)
	_ = m.Kill(unix.SIGKILL)
	_ = m.Destroy()
}
