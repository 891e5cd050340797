package wasm

import (
	"fmt"
	"strings"
)

// Annotations and values that select the wasm handler (crun's names).
const (
	AnnotationHandler = "run.oci.handler"
	AnnotationVariant = "module.wasm.image/variant"

	HandlerWasm      = "wasm"
	HandlerWasmSmart = "wasm-smart"
	VariantCompat    = "compat"
	VariantSmart     = "compat-smart"
)

// Handlers lists the handler values Select accepts, per annotation, for
// the features document.
func Handlers() map[string][]string {
	return map[string][]string{
		AnnotationHandler: {HandlerWasm, HandlerWasmSmart},
		AnnotationVariant: {VariantCompat, VariantSmart},
	}
}

// Select reports whether a container with these annotations runs args as
// a wasm module. run.oci.handler is looked at first, then
// module.wasm.image/variant, as crun does. A run.oci.handler value this
// runtime has no handler for is an error (running natively what the user
// asked to run elsewhere would be worse); an unknown variant is ignored,
// because that annotation also describes images for other platforms.
func Select(annotations map[string]string, args []string) (bool, error) {
	smart := func() bool {
		if len(args) == 0 {
			return false
		}
		return strings.HasSuffix(args[0], ".wasm") || strings.HasSuffix(args[0], ".wat")
	}
	if h, ok := annotations[AnnotationHandler]; ok && h != "" {
		switch h {
		case HandlerWasm:
			return true, nil
		case HandlerWasmSmart:
			return smart(), nil
		default:
			return false, fmt.Errorf("annotation %s=%q: unknown handler (this runtime has %s, %s)",
				AnnotationHandler, h, HandlerWasm, HandlerWasmSmart)
		}
	}
	switch annotations[AnnotationVariant] {
	case VariantCompat:
		return true, nil
	case VariantSmart:
		return smart(), nil
	}
	return false, nil
}
