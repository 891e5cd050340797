package validate

import (
	"errors"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func TestProcFeatures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*specs.Spec)
		field string
		err   string
	}{
		{name: "valid", edit: func(s *specs.Spec) {
			s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0-1", Final: "0"}
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0"}
		}},
		{name: "bad final", edit: func(s *specs.Spec) {
			s.Process.ExecCPUAffinity = &specs.CPUAffinity{Final: "0-"}
		}, field: "process.execCPUAffinity.final", err: `process.execCPUAffinity.final: malformed element "0-"`},
		{name: "bad mode", edit: func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: "MPOL_NOPE"}
		}, field: "linux.memoryPolicy.mode", err: `linux.memoryPolicy.mode: unknown mode "MPOL_NOPE"`},
		{name: "bad flag", edit: func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0", Flags: []specs.MemoryPolicyFlagType{"X"}}
		}, field: "linux.memoryPolicy.flags[0]", err: `linux.memoryPolicy.flags[0]: unknown flag "X"`},
		{name: "nodes for default", edit: func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolDefault, Nodes: "0"}
		}, field: "linux.memoryPolicy.nodes", err: `linux.memoryPolicy.nodes: MPOL_DEFAULT takes no nodes, got "0"`},
		{name: "node out of range", edit: func(s *specs.Spec) {
			s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0-5000"}
		}, field: "linux.memoryPolicy.nodes", err: "linux.memoryPolicy.nodes: 5000 is out of range 0..1023"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := validSpec()
			tc.edit(s)
			err := Spec(s, bundle(t))
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tc.err)
			var fe *FieldError
			require.True(t, errors.As(err, &fe))
			require.Equal(t, tc.field, fe.Field)
		})
	}
}
