package sysctl_test

import (
	"fmt"

	"github.com/gocontainer/gocontainer/libcontainer/internal/sysctl"
)

func ExampleNormalize() {
	for _, k := range []string{"net.ipv4.ip_forward", "net/ipv4/conf/eth0.100/forwarding", "net/../kernel/x"} {
		fmt.Println(sysctl.Normalize(k))
	}
	// Output:
	// net.ipv4.ip_forward <nil>
	// net.ipv4.conf.eth0/100.forwarding <nil>
	//  sysctl key "net/../kernel/x" has an invalid component ".."
}
