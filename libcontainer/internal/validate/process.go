package validate

import (
	"log/slog"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Process checks a process on its own, as exec gets it (the container's
// recorded process with the exec flags applied, or a process.json), with
// the same rules and one-line *FieldError messages as Spec.
func Process(p *specs.Process) error {
	v := &validator{s: &specs.Spec{Process: p}, o: options{log: slog.New(slog.DiscardHandler)}, ns: map[specs.LinuxNamespaceType]nsInfo{}}
	return v.process()
}
