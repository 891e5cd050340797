// Package logtest records what code under test logs through *slog.Logger,
// so tests can assert on the level, message and attributes of each entry.
package logtest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
)

// Entry is one recorded log entry; Attrs holds the attributes by key.
type Entry struct {
	Level slog.Level
	Msg   string
	Attrs map[string]any
}

// Recorder holds the entries of a logger made by New.
type Recorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// New returns a logger that records entries at level and above.
func New(level slog.Level) (*slog.Logger, *Recorder) {
	r := &Recorder{}
	return slog.New(slog.NewJSONHandler(lockedWriter{r}, &slog.HandlerOptions{Level: level})), r
}

// Entries decodes what has been logged so far, in order.
func (r *Recorder) Entries() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Entry
	for _, line := range strings.Split(strings.TrimSpace(r.buf.String()), "\n") {
		if line == "" {
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			panic("logtest: slog wrote a line that is not JSON: " + line)
		}
		var e Entry
		s, _ := m[slog.LevelKey].(string)
		_ = e.Level.UnmarshalText([]byte(s))
		e.Msg, _ = m[slog.MessageKey].(string)
		for _, k := range []string{slog.LevelKey, slog.MessageKey, slog.TimeKey} {
			delete(m, k)
		}
		e.Attrs = m
		out = append(out, e)
	}
	return out
}

type lockedWriter struct{ r *Recorder }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	return w.r.buf.Write(p)
}
