package validate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"syntax", "{\n  \"ociVersion\": \"1.0.0\",\n    }\n", `config.json: invalid character '}' looking for beginning of object key string at line 3 column 5`},
		{"truncated", `{"ociVersion": "1.0.0"`, `config.json: unexpected end of JSON input at line 1 column 22`},
		{"type", "{\n \"process\": {\"args\": [\"sh\", 1]}}", `config.json: process.args: cannot use a JSON number as string at line 2 column 29`},
		{"negative uid", `{"process": {"user": {"uid": -1}}}`, `config.json: process.user.uid: cannot use a JSON number -1 as uint32 at line 1 column 31`},
		{"array", `[]`, `config.json: the config must be a JSON object, not array, at line 1 column 1`},
		{"null", `null`, `config.json: the config is null`},
		{"empty", " \n", `config.json: empty file`},
		{"trailing", `{} x`, `config.json: invalid character 'x' after top-level value at line 1 column 4`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(strings.NewReader(tc.in))
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestParseConfigIgnoresUnknownFields(t *testing.T) {
	s, err := ParseConfig(strings.NewReader(`{"ociVersion":"1.3.0","futureField":{"x":1},"process":{"args":["sh"],"cwd":"/","newThing":true}}`))
	require.NoError(t, err)
	require.Equal(t, "1.3.0", s.Version)
	require.Equal(t, []string{"sh"}, s.Process.Args)
}

func TestLoadBundle(t *testing.T) {
	b := bundle(t)
	_, err := LoadBundle(b)
	require.EqualError(t, err, "open "+filepath.Join(b, "config.json")+": no such file or directory")
	require.ErrorIs(t, err, os.ErrNotExist)

	data, err := json.Marshal(validSpec())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(b, "config.json"), data, 0o644))
	s, err := LoadBundle(b)
	require.NoError(t, err)
	require.Equal(t, validSpec(), s)
	require.NoError(t, Spec(s, b))

	require.NoError(t, os.WriteFile(filepath.Join(b, "config.json"), []byte("{\n\"root\": }"), 0o644))
	_, err = LoadBundle(b)
	require.EqualError(t, err, filepath.Join(b, "config.json")+": invalid character '}' looking for beginning of value at line 2 column 9")
}

func TestPosition(t *testing.T) {
	data := []byte("ab\ncd\n\nef")
	for off, want := range map[int64][2]int{0: {1, 1}, 1: {1, 1}, 2: {1, 2}, 3: {1, 3}, 4: {2, 1}, 7: {3, 1}, 9: {4, 2}, 100: {4, 2}} {
		l, c := position(data, off)
		require.Equal(t, want, [2]int{l, c}, "offset %d", off)
	}
}
