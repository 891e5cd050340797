package wasm

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSelectFollowsCrunsAnnotations(t *testing.T) {
	for _, tc := range []struct {
		name string
		ann  map[string]string
		args []string
		want bool
	}{
		{"none", nil, []string{"/app.wasm"}, false},
		{"handler_wasm_any_entrypoint", map[string]string{AnnotationHandler: "wasm"}, []string{"/bin/app"}, true},
		{"handler_smart_wasm", map[string]string{AnnotationHandler: "wasm-smart"}, []string{"/app.wasm"}, true},
		{"handler_smart_wat", map[string]string{AnnotationHandler: "wasm-smart"}, []string{"app.wat"}, true},
		{"handler_smart_native", map[string]string{AnnotationHandler: "wasm-smart"}, []string{"/bin/sh"}, false},
		{"handler_smart_no_args", map[string]string{AnnotationHandler: "wasm-smart"}, nil, false},
		{"variant_compat", map[string]string{AnnotationVariant: "compat"}, []string{"/bin/app"}, true},
		{"variant_smart_wasm", map[string]string{AnnotationVariant: "compat-smart"}, []string{"/app.wasm"}, true},
		{"variant_smart_native", map[string]string{AnnotationVariant: "compat-smart"}, []string{"/app.wasm.sh"}, false},
		{"variant_other_platform", map[string]string{AnnotationVariant: "linux/arm64"}, []string{"/app.wasm"}, false},
		{"handler_wins_over_variant", map[string]string{AnnotationHandler: "wasm-smart", AnnotationVariant: "compat"}, []string{"/bin/sh"}, false},
		{"empty_handler_is_unset", map[string]string{AnnotationHandler: "", AnnotationVariant: "compat"}, []string{"/bin/sh"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select(tc.ann, tc.args)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestSelectRefusesAnUnknownHandler(t *testing.T) {
	_, err := Select(map[string]string{AnnotationHandler: "wasmedge"}, []string{"/app.wasm"})
	require.ErrorContains(t, err, `run.oci.handler="wasmedge"`)
}
