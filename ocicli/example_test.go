package ocicli_test

import (
	"context"
	"fmt"
	"os"

	"github.com/gocontainer/gocontainer/ocicli"
)

// killer is a Handler that implements only kill; the embedded
// UnimplementedHandler answers the other commands.
type killer struct{ ocicli.UnimplementedHandler }

func (killer) Kill(_ context.Context, g *ocicli.GlobalOptions, o *ocicli.KillOptions) error {
	fmt.Fprintf(g.Stdout, "kill %s with signal %d (all=%v) under %s\n", o.ID, o.SignalNum, o.All, g.Root)
	return nil
}

func (killer) Run(context.Context, *ocicli.GlobalOptions, *ocicli.RunOptions) error {
	// The container's process exited with status 3: so does the runtime.
	return &ocicli.ExitError{Code: 3}
}

func Example() {
	v := ocicli.VersionInfo{Version: "0.1.0", Spec: "1.3.0"}

	code := ocicli.ExecuteContext(context.Background(),
		[]string{"--root", "/run/test", "kill", "--all", "mycontainer", "KILL"},
		killer{}, v, os.Stdin, os.Stdout, os.Stdout)
	fmt.Println("exit code", code)

	code = ocicli.ExecuteContext(context.Background(), []string{"run", "mycontainer"}, killer{}, v, os.Stdin, os.Stdout, os.Stdout)
	fmt.Println("exit code", code)

	code = ocicli.ExecuteContext(context.Background(), []string{"kill"}, killer{}, v, os.Stdin, os.Stdout, os.Stdout)
	fmt.Println("exit code", code)
	// Output:
	// kill mycontainer with signal 9 (all=true) under /run/test
	// exit code 0
	// exit code 3
	// gocontainer: kill: missing <container-id> (usage: gocontainer kill [flags] <container-id> [signal])
	// exit code 1
}

func ExampleParseSignal() {
	for _, s := range []string{"KILL", "sigterm", "9", "RTMIN+3", "SIGRTMAX-1", "NOPE"} {
		sig, err := ocicli.ParseSignal(s)
		fmt.Println(int(sig), err)
	}
	// Output:
	// 9 <nil>
	// 15 <nil>
	// 9 <nil>
	// 37 <nil>
	// 63 <nil>
	// 0 invalid signal "NOPE": unknown signal name
}
