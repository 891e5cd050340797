package specconv_test

import (
	"fmt"
	"os"

	"github.com/gocontainer/gocontainer/libcontainer/specconv"
)

func ExampleWriteSpec() {
	bundle, err := os.MkdirTemp("", "bundle")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(bundle)

	s := specconv.ExampleFor(false)
	specconv.ToRootlessIDs(s, 1000, 1000)
	fmt.Println(specconv.WriteSpec(bundle, s))
	fmt.Println(specconv.WriteSpec(bundle, s))
	fmt.Println(s.Hostname, s.Process.Args, s.Linux.UIDMappings[0].HostID, s.Mounts[5].Type, s.Mounts[5].Source)
	// Output:
	// <nil>
	// File config.json exists. Remove it first
	// gocontainer [sh] 1000 none /sys
}
