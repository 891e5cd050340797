package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFeaturesNameTheWasmAnnotationsUnsafeAndTheVersion(t *testing.T) {
	f := featuresDocument()
	require.Subset(t, f.PotentiallyUnsafeConfigAnnotations, []string{"module.wasm.image/variant", "run.oci.handler"})
	require.Equal(t, version, f.Annotations["org.gocontainer.version"])
	require.NotEmpty(t, f.Annotations["io.github.seccomp.libseccomp.version"])
}
