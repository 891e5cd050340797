package main

import (
	"maps"
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/gocontainer/gocontainer/libcontainer"
	"github.com/gocontainer/gocontainer/libcontainer/wasm"
)

// featuresDocument is libcontainer's features document plus what the
// binary adds: its version and commit (runc's
// org.opencontainers.runc.{version,commit} under our name), the wasm
// handlers (docs/wasm.md), and the annotations that change how a container
// runs, which a higher-level runtime must not take from an untrusted pod
// (potentiallyUnsafeConfigAnnotations, runtime-spec features.md).
func featuresDocument() *features.Features {
	f := libcontainer.Features()
	v := versionInfo()
	f.Annotations["org.gocontainer.version"] = v.Version
	if v.Commit != "" {
		f.Annotations["org.gocontainer.commit"] = v.Commit
	}
	maps.Copy(f.Annotations, wasmFeatures())
	unsafe := append(f.PotentiallyUnsafeConfigAnnotations, slices.Sorted(maps.Keys(wasm.Handlers()))...)
	slices.Sort(unsafe)
	f.PotentiallyUnsafeConfigAnnotations = slices.Compact(unsafe)
	return f
}
