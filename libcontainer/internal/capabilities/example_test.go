package capabilities_test

import (
	"fmt"

	"github.com/gocontainer/gocontainer/libcontainer/internal/capabilities"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func ExampleParse() {
	c, err := capabilities.Parse(&specs.LinuxCapabilities{
		Bounding:  []string{"CAP_KILL", "CAP_CHOWN"},
		Effective: []string{"CAP_KILL"},
	}, nil)
	fmt.Println(err, c.Bounding, c.Effective)

	// A name no kernel knows is dropped (and logged), as runc does.
	c, err = capabilities.Parse(&specs.LinuxCapabilities{Permitted: []string{"CAP_KILL", "CAP_FOO"}}, nil)
	fmt.Println(err, c.Permitted, c.Ignored)
	// Output:
	// <nil> [kill chown] [kill]
	// <nil> [kill] [CAP_FOO]
}
