package validate_test

import (
	"fmt"
	"strings"

	"github.com/gocontainer/gocontainer/libcontainer/internal/validate"
)

func ExampleID() {
	fmt.Println(validate.ID("web-1"))
	fmt.Println(validate.ID("../etc"))
	// Output:
	// <nil>
	// invalid container id "../etc": only letters, digits and _ + - . are allowed
}

func ExampleSpec() {
	s, err := validate.ParseConfig(strings.NewReader(`{
		"ociVersion": "1.3.0",
		"root": {"path": "/"},
		"process": {"args": ["sh"], "cwd": "/"},
		"linux": {"namespaces": [{"type": "pid"}, {"type": "foo"}]}
	}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(validate.Spec(s, "/"))
	// Output:
	// linux.namespaces[1].type: unknown namespace type "foo"
}
