package libcontainer_test

import (
	"fmt"
	"os"

	"github.com/gocontainer/gocontainer/libcontainer"
	"github.com/gocontainer/gocontainer/libcontainer/internal/console"
)

// A runtime that relays the terminal itself (a foreground run) gives the
// container end of a socket pair to the builder and receives the master
// the init sends. Here the host's /dev/ptmx stands in for the container's
// pty, sent the way the init sends it.
func ExampleReceiveConsole() {
	runtimeEnd, containerEnd, err := libcontainer.NewConsoleSocketPair()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer runtimeEnd.Close()
	defer containerEnd.Close()
	// libcontainer.NewContainerBuilder(id, root).WithConsoleSocketFile(containerEnd) ...

	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ptmx.Close()
	if err := console.SendMaster(containerEnd, ptmx); err != nil {
		fmt.Println(err)
		return
	}

	master, err := libcontainer.ReceiveConsole(runtimeEnd)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer master.Close()
	// Then: relay, err := libcontainer.NewTerminalRelay(master, os.Stdin, os.Stdout, os.Stderr)
	fmt.Println("received", master.Name())
	// Output: received /dev/ptmx
}
