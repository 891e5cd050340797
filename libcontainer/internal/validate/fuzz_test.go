package validate

import (
	"encoding/json"
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
			return
		}
		for _, opts := range [][]Option{nil, {WithSystemdCgroup(true), WithoutProcess()}} {
			if err := Spec(s, b, opts...); err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
		}
	})
}
