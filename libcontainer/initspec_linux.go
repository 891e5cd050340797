package libcontainer

import (
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// decodeInitSpec decodes config.json for the container init, leaving out
// the sections the init never reads: linux.resources (the runtime applies
// them to the cgroup before the init runs) and the windows, solaris, vm
// and zos sections. They are shadowed by raw fields, so encoding/json
// neither decodes them nor builds its per-type field tables for them,
// which it otherwise does for the whole specs.Spec type tree on the first
// decode of a process: ~0.4 ms of the init's ~1.4 ms cold decode of runc's
// default spec (docs/performance.md). The runtime validated the complete
// document before it sent it.
func decodeInitSpec(raw []byte) (*specs.Spec, error) {
	var w struct {
		*specs.Spec
		Linux *struct {
			*specs.Linux
			Resources json.RawMessage `json:"resources,omitempty"`
		} `json:"linux,omitempty"`
		Windows json.RawMessage `json:"windows,omitempty"`
		Solaris json.RawMessage `json:"solaris,omitempty"`
		VM      json.RawMessage `json:"vm,omitempty"`
		ZOS     json.RawMessage `json:"zos,omitempty"`
	}
	w.Spec = new(specs.Spec)
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, err
	}
	if w.Linux != nil {
		w.Spec.Linux = w.Linux.Linux
		if w.Spec.Linux == nil {
			w.Spec.Linux = new(specs.Linux)
		}
	}
	return w.Spec, nil
}
