package systemd_test

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/libcgroups/systemd"
)

// A cgroupsPath in runc's systemd form names the unit and its cgroup.
func ExampleParsePath() {
	for _, p := range []string{"", "system.slice:docker:abc", "app-web.slice:gc:c1"} {
		u, err := systemd.ParsePath(p, "c1", "system.slice")
		if err != nil {
			fmt.Println(err)
			continue
		}
		cg, _ := u.CgroupPath()
		fmt.Println(u.Slice, u.Name, cg)
	}
	_, err := systemd.ParsePath("system:gc:c1", "c1", "system.slice")
	fmt.Println(err)
	// Output:
	// system.slice gocontainer-c1.scope /system.slice/gocontainer-c1.scope
	// system.slice docker-abc.scope /system.slice/docker-abc.scope
	// app-web.slice gc-c1.scope /app.slice/app-web.slice/gc-c1.scope
	// linux.cgroupsPath: "system:gc:c1": parent "system" is not a slice (want NAME.slice): invalid systemd cgroupsPath
}

// Resources become unit properties with runc's conversions.
func ExampleProperties() {
	limit, shares := int64(64<<20), uint64(1024)
	props, _ := systemd.Properties(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &limit},
		CPU:    &specs.LinuxCPU{Shares: &shares, Cpus: "0-3"},
	}, false, nil)
	for _, p := range props {
		fmt.Println(p)
	}
	// Output:
	// CPUWeight=@t 100
	// AllowedCPUs=@ay [0xf]
	// MemoryMax=@t 67108864
}
