package rlimits_test

import (
	"fmt"

	"github.com/gocontainer/gocontainer/libcontainer/internal/rlimits"
)

func ExampleResource() {
	fmt.Println(rlimits.Resource("RLIMIT_NOFILE"))
	fmt.Println(rlimits.Resource("RLIMIT_FOO"))
	// Output:
	// 7 <nil>
	// 0 unknown rlimit type "RLIMIT_FOO"
}
