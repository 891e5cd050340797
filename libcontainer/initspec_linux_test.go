package libcontainer

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcontainer/specconv"
)

func TestDecodeInitSpecIsTheSpecWithoutResourcesAndOtherPlatforms(t *testing.T) {
	s := specconv.Example()
	require.NotNil(t, s.Linux.Resources, "the example must have resources for this test to mean anything")
	s.Windows = &specs.Windows{LayerFolders: []string{`C:\layers`}}
	s.VM = &specs.VM{Kernel: specs.VMKernel{Path: "/vmlinuz"}}
	raw, err := json.Marshal(s)
	require.NoError(t, err)

	got, err := decodeInitSpec(raw)
	require.NoError(t, err)

	var want specs.Spec
	require.NoError(t, json.Unmarshal(raw, &want))
	want.Linux.Resources = nil
	want.Windows, want.VM = nil, nil
	require.Equal(t, &want, got)
	require.NotEmpty(t, got.Linux.Namespaces)
	require.NotEmpty(t, got.Mounts)
	require.NotNil(t, got.Process)
}

func TestDecodeInitSpecKeepsAnEmptyLinuxSection(t *testing.T) {
	got, err := decodeInitSpec([]byte(`{"ociVersion":"1.0.2","linux":{"resources":{"pids":{"limit":5}}}}`))
	require.NoError(t, err)
	require.NotNil(t, got.Linux, "a linux section with only resources is still a linux section")
	got, err = decodeInitSpec([]byte(`{"ociVersion":"1.0.2"}`))
	require.NoError(t, err)
	require.Nil(t, got.Linux)
	_, err = decodeInitSpec([]byte(`{"linux":{"namespaces":7}}`))
	require.Error(t, err)
}
