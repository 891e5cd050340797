package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ConfigFile is the name of the config in a bundle directory.
const ConfigFile = "config.json"

// maxConfigSize bounds how much ParseConfig reads; real configs are a few
// KiB, and the bound keeps a runaway file from exhausting memory.
const maxConfigSize = 64 << 20

// ParseConfig decodes an OCI config from r. Unknown fields are ignored
// (runtime-spec: "implementations MUST ignore unknown properties").
// Syntax and type errors name the line and column, e.g.
// `config.json: invalid character '}' looking for beginning of object key
// string at line 3 column 5`.
func ParseConfig(r io.Reader) (*specs.Spec, error) {
	return parseConfig(r, ConfigFile)
}

// parseConfig is ParseConfig with the name used in errors.
func parseConfig(r io.Reader, name string) (*specs.Spec, error) {
	s, _, err := readConfig(r, name)
	return s, err
}

// readConfig parses the config and also returns the bytes it was parsed
// from.
func readConfig(r io.Reader, name string) (*specs.Spec, []byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigSize+1))
	if err != nil {
		return nil, nil, invalidConfigf("%s: read: %w", name, err)
	}
	if len(data) > maxConfigSize {
		return nil, nil, invalidConfigf("%s: larger than %d bytes", name, maxConfigSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, invalidConfigf("%s: empty file", ConfigFile)
	}
	var s *specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, nil, invalidConfigf("%s: %s", name, describeJSONError(data, err))
	}
	if s == nil {
		return nil, nil, invalidConfigf("%s: the config is null", ConfigFile)
	}
	return s, data, nil
}

// LoadBundle reads and parses bundle/config.json. A missing file gives
// the os error as is (`open /b/config.json: no such file or directory`).
// It does not validate the config: call [Spec] for that.
func LoadBundle(bundle string) (*specs.Spec, error) {
	s, _, err := ReadBundle(bundle)
	return s, err
}

// ReadBundle is LoadBundle that also returns the raw bytes of config.json,
// so that the runtime can hand the container init exactly what it parsed
// without encoding it again.
func ReadBundle(bundle string) (*specs.Spec, []byte, error) {
	f, err := os.Open(filepath.Join(bundle, ConfigFile))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	// Errors name the full path: the user may have several bundles.
	return readConfig(f, f.Name())
}

// describeJSONError turns a decoding error into one line with the line
// and column of the offending byte.
func describeJSONError(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		return fmt.Sprintf("%s at line %d column %d", syn.Error(), line, col)
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		if typ.Field == "" {
			return fmt.Sprintf("the config must be a JSON object, not %s, at line %d column %d", typ.Value, line, col)
		}
		return fmt.Sprintf("%s: cannot use a JSON %s as %s at line %d column %d", typ.Field, typ.Value, typ.Type, line, col)
	}
	return err.Error()
}

// position converts a byte offset (as encoding/json reports it: the
// number of bytes read when the error was found) to a 1-based line and
// column of the last byte read.
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off > 0 {
		off-- // point at the offending byte itself
	}
	line, col = 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
