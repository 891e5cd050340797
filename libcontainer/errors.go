package libcontainer

import (
	"errors"

	"github.com/gocontainer/gocontainer/libcontainer/internal/validate"
)

// The errors a caller acts on. Every error the package returns wraps at
// most one class, tested with errors.Is (or errors.As for [FieldError]);
// the text is for people and is kept stable for runc's callers, so never
// match on it.
//
//	invalid id                 ErrInvalidID
//	invalid config             ErrInvalidConfig, *FieldError (which field)
//	id taken / unknown         ErrExist / ErrNotExist
//	wrong state for the call   ErrWrongState, and the precise one of
//	                           ErrRunning, ErrNotRunning, ErrNotCreated, ErrPaused
//	host lacks a feature       ErrUnsupported (also errors.ErrUnsupported)
var (
	// ErrInvalidID: the container id is empty, too long, "." or "..", or
	// uses characters other than letters, digits and "_+-.". Every
	// builder and [Load] check it first.
	ErrInvalidID = validate.ErrInvalidID
	// ErrInvalidConfig: config.json cannot be read as a config (empty,
	// too large, not JSON, a field of the wrong JSON type) or a field's
	// value is refused. A refused field is also a [*FieldError].
	ErrInvalidConfig = validate.ErrInvalidConfig

	// ErrNotExist: no container with that id under the root.
	ErrNotExist = errors.New("container does not exist")
	// ErrExist: a container with that id already exists.
	ErrExist = errors.New("container already exists")

	// ErrWrongState is matched by every error that refuses an operation
	// because of the container's status (ErrRunning, ErrNotRunning,
	// ErrNotCreated, ErrPaused, and pause/resume of a container that is
	// not running/paused). Load the container again to see its status.
	ErrWrongState = errors.New("container is in the wrong state")
	// ErrRunning: the operation needs a stopped container (or force).
	ErrRunning error = &classed{"container is running", ErrWrongState}
	// ErrNotRunning: the operation needs a live container.
	ErrNotRunning error = &classed{"container is not running", ErrWrongState}
	// ErrNotCreated: start needs a container in the created state.
	ErrNotCreated error = &classed{"container is not in the created state", ErrWrongState}
)

// FieldError is a refused field of config.json (or of an exec process):
// Field is its JSON path, e.g. "linux.namespaces[2].type", and Err the
// problem. Its text is "<field>: <problem>". Every FieldError also
// matches [ErrInvalidConfig]. Get it with errors.As:
//
//	var fe *libcontainer.FieldError
//	if errors.As(err, &fe) { highlight(fe.Field) }
type FieldError = validate.FieldError

// classed is a sentinel error that also matches a wider class.
type classed struct {
	msg   string
	class error
}

func (e *classed) Error() string        { return e.msg }
func (e *classed) Is(target error) bool { return target == e.class }

// marked is err with its text unchanged that also matches class: for
// errors whose words callers know and must not change.
type marked struct {
	err   error
	class error
}

func (e *marked) Error() string   { return e.err.Error() }
func (e *marked) Unwrap() []error { return []error{e.err, e.class} }

// mark makes err match class too (nil stays nil; an error already of the
// class is returned as is).
func mark(err, class error) error {
	if err == nil || errors.Is(err, class) {
		return err
	}
	return &marked{err, class}
}
