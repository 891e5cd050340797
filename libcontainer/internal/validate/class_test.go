package validate

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// Every way config.json can be unreadable as a config, and every refused
// field, matches ErrInvalidConfig with its text unchanged; an invalid id
// does not.
func TestErrorClasses(t *testing.T) {
	for _, tc := range []struct{ config, want string }{
		{"", "config.json: empty file"},
		{"null", "config.json: the config is null"},
		{`{"ociVersion": `, "x/config.json: unexpected end of JSON input at line 1 column 15"},
		{`[1]`, "x/config.json: the config must be a JSON object, not array, at line 1 column 1"},
		{strings.Repeat(" ", maxConfigSize+1), "x/config.json: larger than 67108864 bytes"},
	} {
		_, err := parseConfig(strings.NewReader(tc.config), "x/config.json")
		if err == nil || err.Error() != tc.want || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("config %.20q: got %v (ErrInvalidConfig %v), want %q matching ErrInvalidConfig", tc.config, err, errors.Is(err, ErrInvalidConfig), tc.want)
		}
	}
	err := Spec(nil, "/")
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Spec(nil): %v does not match ErrInvalidConfig", err)
	}
	fe := fieldErr("root.path", "%s: %w", "/r", fs.ErrNotExist)
	if !errors.Is(fe, ErrInvalidConfig) || !errors.Is(fe, fs.ErrNotExist) || fe.Error() != "root.path: /r: file does not exist" {
		t.Errorf("field error %q: classes lost", fe)
	}
	if err := ID(".."); !errors.Is(err, ErrInvalidID) || errors.Is(err, ErrInvalidConfig) {
		t.Errorf("ID(..): %v", err)
	}
}
