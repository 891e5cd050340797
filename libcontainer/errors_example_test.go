package libcontainer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gocontainer/gocontainer/libcontainer"
)

// classify is how a program that drives containers tells the errors it
// acts on apart: with errors.Is and errors.As, never by their text.
func classify(err error) string {
	var fe *libcontainer.FieldError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, libcontainer.ErrInvalidID):
		return "invalid id"
	case errors.As(err, &fe):
		return "invalid config field " + fe.Field
	case errors.Is(err, libcontainer.ErrInvalidConfig):
		return "invalid config"
	case errors.Is(err, libcontainer.ErrExist):
		return "id taken"
	case errors.Is(err, libcontainer.ErrNotExist):
		return "no such container"
	case errors.Is(err, libcontainer.ErrWrongState):
		return "wrong state"
	case errors.Is(err, libcontainer.ErrUnsupported):
		return "host lacks a feature"
	}
	return "other: " + err.Error()
}

// bundle writes a busybox-less bundle whose config.json is config.
func bundle(config string) string {
	dir, err := os.MkdirTemp("", "example-bundle-")
	if err != nil {
		panic(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644); err != nil {
		panic(err)
	}
	return dir
}

const goodConfig = `{"ociVersion": "1.3.0", "root": {"path": "rootfs"},
	"process": {"args": ["sh"], "cwd": "/"},
	"linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}}`

// Every class of error of the public API, from real calls (none of them
// needs root: each is refused before anything is created).
func Example_errors() {
	root, err := os.MkdirTemp("", "example-root-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	ctx := context.Background()

	_, err = libcontainer.Load(root, "../etc", nil)
	fmt.Println("load ../etc:", classify(err))

	_, err = libcontainer.Load(root, "web", nil)
	fmt.Println("load web:", classify(err))

	bad := bundle(`{"ociVersion": "1.3.0", "root": {"path": "rootfs"},
		"process": {"args": ["sh"], "cwd": "/"},
		"linux": {"namespaces": [{"type": "pid"}, {"type": "foo"}]}}`)
	defer os.RemoveAll(bad)
	_, err = libcontainer.NewContainerBuilder("web", root).AsInit(bad).Build(ctx)
	fmt.Println("create with a bad field:", classify(err))
	fmt.Println("  ", err)

	notJSON := bundle(`{"ociVersion": `)
	defer os.RemoveAll(notJSON)
	_, err = libcontainer.NewContainerBuilder("web", root).AsInit(notJSON).Build(ctx)
	fmt.Println("create with a truncated config.json:", classify(err))

	// A state directory whose create was killed before it wrote any
	// state: the id is taken, and the container loads as stopped.
	if err := os.Mkdir(filepath.Join(root, "web"), 0o711); err != nil {
		panic(err)
	}
	good := bundle(goodConfig)
	defer os.RemoveAll(good)
	_, err = libcontainer.NewContainerBuilder("web", root).AsInit(good).Build(ctx)
	fmt.Println("create web again:", classify(err))

	c, err := libcontainer.Load(root, "web", nil)
	if err != nil {
		panic(err)
	}
	err = c.Start(ctx)
	fmt.Println("start a stopped container:", classify(err), errors.Is(err, libcontainer.ErrNotCreated))
	err = c.Pause()
	fmt.Println("pause a stopped container:", classify(err))
	err = c.Kill(9, false)
	fmt.Println("kill a stopped container:", classify(err), errors.Is(err, libcontainer.ErrNotRunning))
	fmt.Println("delete:", classify(c.Delete(ctx, false)))

	// Output:
	// load ../etc: invalid id
	// load web: no such container
	// create with a bad field: invalid config field linux.namespaces[1].type
	//    linux.namespaces[1].type: unknown namespace type "foo"
	// create with a truncated config.json: invalid config
	// create web again: id taken
	// start a stopped container: wrong state true
	// pause a stopped container: wrong state
	// kill a stopped container: wrong state true
	// delete: ok
}

// A refused field names its JSON path; the problem underneath is kept.
func ExampleFieldError() {
	b := bundle(`{"ociVersion": "1.3.0", "root": {"path": "no-such-rootfs"},
		"process": {"args": ["sh"], "cwd": "/"}}`)
	defer os.RemoveAll(b)
	_, err := libcontainer.NewContainerBuilder("web", b).AsInit(b).Build(context.Background())
	var fe *libcontainer.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field, errors.Is(err, os.ErrNotExist), errors.Is(err, libcontainer.ErrInvalidConfig))
	}
	// Output:
	// root.path true true
}

// ErrUnsupported is also the standard library's errors.ErrUnsupported.
func ExampleErrUnsupported() {
	fmt.Println(errors.Is(libcontainer.ErrUnsupported, errors.ErrUnsupported))
	fmt.Println(errors.Is(libcontainer.ErrPaused, libcontainer.ErrWrongState))
	// Output:
	// true
	// true
}
