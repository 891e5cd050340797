package validate

import (
	"errors"
	"strings"

	"github.com/gocontainer/gocontainer/libcontainer/internal/procattr"
)

// procFeatures checks linux.memoryPolicy and process.execCPUAffinity with
// the parsers the init applies them with, so that what passes here cannot
// fail there for a reason of syntax.
func (v *validator) procFeatures() error {
	if p := v.s.Process; p != nil {
		if err := procattr.CheckCPUAffinity(p.ExecCPUAffinity); err != nil {
			return asFieldError(err)
		}
	}
	if mp := v.linux().MemoryPolicy; mp != nil {
		if _, err := procattr.MemoryPolicy(mp); err != nil {
			return asFieldError(err)
		}
	}
	return nil
}

// asFieldError splits procattr's "<field>: <problem>" into a *FieldError.
func asFieldError(err error) error {
	if field, problem, ok := strings.Cut(err.Error(), ": "); ok {
		return &FieldError{Field: field, Err: errors.New(problem)}
	}
	return err
}
