package validate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func FuzzID(f *testing.F) {
	for _, s := range []string{"", ".", "..", "a/b", "abc", strings.Repeat("x", 1025), "é", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		err := ID(id)
		if err == nil {
			// Anything accepted must be usable as one path component.
			if strings.ContainsAny(id, "/\x00") || id == "." || id == ".." || id == "" || len(id) > MaxIDLength {
				t.Fatalf("ID(%q) accepted an unsafe id", id)
			}
		} else if strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error %q", err)
		}
	})
}

func FuzzSpec(f *testing.F) {
	seed, _ := json.Marshal(validSpec())
	f.Add(seed)
	f.Add([]byte(`{"ociVersion":"1.0.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},` +
		`"linux":{"namespaces":[{"type":"user"},{"type":"user"}],"sysctl":{"net/../x":"1"},"timeOffsets":{"x":{}}}}`))
	f.Add([]byte(`{"hooks":{"prestart":[{"path":"x","timeout":0}]},"mounts":[{}],"linux":{"devices":[{}],"resources":{"devices":[{}]}}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"process":{"scheduler":{},"ioPriority":{},"capabilities":{"bounding":["CAP_X"]},"rlimits":[{}]}}`))
	b := bundle(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseConfig(strings.NewReader(string(data)))
		if err != nil {
			// Decoding errors: one line, and of the invalid-config class.
			if strings.Contains(err.Error(), "\n") || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("decoding error %q: multi-line or not ErrInvalidConfig", err)
			}
			return
		}
		for _, opts := range [][]Option{nil, {WithSystemdCgroup(true), WithoutProcess()}} {
			err := Spec(s, b, opts...)
			if err == nil {
				continue
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			// Every refusal names its field.
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %q is not a *FieldError naming a field", err)
			}
		}
	})
}
