package hooks_test

import (
	"context"
	"fmt"

	"github.com/gocontainer/gocontainer/libcontainer/internal/hooks"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func ExampleRun() {
	timeout := 5
	err := hooks.Run(context.Background(), []specs.Hook{
		{Path: "/bin/sh", Args: []string{"sh", "-c", "read -r state; echo \"got $state\" >&2; exit 3"}, Timeout: &timeout},
	}, []byte(`{"id":"c1"}`+"\n"), hooks.CreateRuntime)
	fmt.Println(err)
	// Output:
	// createRuntime hook #0 (/bin/sh): exit status 3, stderr: "got {\"id\":\"c1\"}"
}
