package devices_test

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/libcgroups/devices"
)

func i64(v int64) *int64 { return &v }

// A typical container rule list: deny everything, then allow mknod of any
// char device and read/write of /dev/null (c 1:3). devices.Apply(dir, rules,
// logger) would attach the same filter to a cgroup2 directory.
func ExampleNewFilter() {
	rules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Access: "m"},
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rw"},
	}
	f, err := devices.NewFilter(rules)
	if err != nil {
		panic(err)
	}
	fmt.Println("default allow:", f.DefaultAllow)
	for _, r := range f.Exceptions {
		fmt.Println("allow", r)
	}
	fmt.Println("/dev/null rw:", f.Allows(devices.Char, 1, 3, devices.Read|devices.Write))
	fmt.Println("/dev/sda r:", f.Allows(devices.Block, 8, 0, devices.Read))
	prog, _ := f.Program()
	fmt.Println("instructions:", len(prog)/devices.InsnSize)
	// Output:
	// default allow: false
	// allow c *:* m
	// allow c 1:3 rw
	// /dev/null rw: true
	// /dev/sda r: false
	// instructions: 22
}
