package oci

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseTAPJudgesStreams(t *testing.T) {
	cases := []struct {
		name       string
		in         string
		wantPassed int
		wantFailed int
		wantErr    string
	}{
		{
			name:       "all ok with leading plan",
			in:         "TAP version 13\n1..2\nok 1 - a\nok 2 - b\n",
			wantPassed: 2,
		},
		{
			name:       "trailing plan as AutoPlan writes it",
			in:         "TAP version 13\nok 1 - a\nok 2 - b\nok 3 - c\n1..3\n",
			wantPassed: 3,
		},
		{
			name:       "one not ok fails",
			in:         "1..2\nok 1 - a\nnot ok 2 - hostname mismatch\n",
			wantPassed: 1,
			wantFailed: 1,
			wantErr:    "not ok 2 - hostname mismatch",
		},
		{
			name:       "todo failure is not a failure",
			in:         "1..2\nok 1 - a\nnot ok 2 # TODO later\n",
			wantPassed: 1,
		},
		{
			name:       "skip counts as ok",
			in:         "1..1\nok 1 # skip no apparmor\n",
			wantPassed: 1,
		},
		{
			name:       "indented nested not ok is ignored",
			in:         "1..1\nok 1 - outer\n  ---\n  stdout: |\n    not ok 3 - inner\n  ...\n",
			wantPassed: 1,
		},
		{
			name:       "fewer results than planned",
			in:         "1..3\nok 1 - a\n",
			wantPassed: 1,
			wantErr:    "TAP plan 1..3 but 1 results",
		},
		{
			name:       "two streams: plans add up",
			in:         "TAP version 13\nok 1\nok 2\n1..2\nTAP version 13\n1..0\n",
			wantPassed: 2,
		},
		{
			name:    "empty output",
			in:      "",
			wantErr: "no TAP plan and no TAP results",
		},
		{
			name:       "orphan error diagnostic with empty plan fails",
			in:         "TAP version 13\n  ---\n  {\n    \"error\": \"Pre-start hooks MUST be called after start\\nRefer to: x\"\n  }\n  ...\n1..0\n",
			wantFailed: 1,
			wantErr:    "diagnostic without result: Pre-start hooks MUST be called after start",
		},
		{
			name:       "error diagnostic before its result line belongs to it",
			in:         "TAP version 13\n  ---\n  {\n    \"error\": \"boom\"\n  }\n  ...\nnot ok 1 - cannot run\n1..1\n",
			wantFailed: 1,
			wantErr:    "not ok 1 - cannot run",
		},
		{
			name:       "error diagnostic after an ok line belongs to it",
			in:         "1..1\nok 1 - kill without id fails\n  ---\n  {\n    \"error\": \"exit status 1\"\n  }\n  ...\n",
			wantPassed: 1,
		},
		{
			name: "empty plan with no diagnostics passes",
			in:   "TAP version 13\n1..0\n",
		},
		{
			name:       "okay prefix is not a result",
			in:         "okay then\n1..1\nok 1\n",
			wantPassed: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ParseTAP(tc.in)
			require.Equal(t, tc.wantPassed, r.Passed, "passed")
			require.Equal(t, tc.wantFailed, r.Failed, "failed")
			err := r.Err()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}
