package libcontainer_test

import (
	"context"
	"fmt"

	"github.com/gocontainer/gocontainer/libcontainer"
)

// Run `ps` in the running container "web" as uid 1000 with an extra
// variable, and wait for it (what `gocontainer exec -u 1000 -e DEBUG=1 web
// ps` does). The caller becomes the process's child subreaper.
func ExampleTenantContainerBuilder() {
	p, err := libcontainer.NewContainerBuilder("web", "/run/gocontainer").
		AsTenant().
		WithArgs("ps", "-ef").
		WithEnv("DEBUG=1").
		WithUser(1000, nil).
		Build(context.Background())
	if err != nil {
		fmt.Println("exec failed:", err)
		return
	}
	code, err := p.Wait()
	fmt.Println(code, err)
}
