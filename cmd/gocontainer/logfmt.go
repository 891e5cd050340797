package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
)

// logfmtCore writes runc's text log format (logrus's TextFormatter):
//
//	time="2024-05-01T10:00:00Z" level=debug msg="mount proc on /proc" dest=/proc
//
// Fields follow msg sorted by key; a value is quoted when it holds
// anything beyond letters, digits and -._/@^+ (as logrus does), so tools
// that parse runc's --log files parse ours.
type logfmtCore struct {
	zapcore.LevelEnabler
	out    zapcore.WriteSyncer
	fields []zapcore.Field
}

func newLogfmtCore(out zapcore.WriteSyncer, level zapcore.LevelEnabler) zapcore.Core {
	return &logfmtCore{LevelEnabler: level, out: out}
}

func (c *logfmtCore) With(fields []zapcore.Field) zapcore.Core {
	return &logfmtCore{LevelEnabler: c.LevelEnabler, out: c.out, fields: append(append([]zapcore.Field(nil), c.fields...), fields...)}
}

func (c *logfmtCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *logfmtCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range c.fields {
		f.AddTo(enc)
	}
	for _, f := range fields {
		f.AddTo(enc)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "time=%q level=%s msg=%s", e.Time.UTC().Format(time.RFC3339), logrusLevel(e.Level), logfmtValue(e.Message))
	keys := make([]string, 0, len(enc.Fields))
	for k := range enc.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", k, logfmtValue(fmt.Sprint(enc.Fields[k])))
	}
	b.WriteByte('\n')
	_, err := c.out.Write([]byte(b.String()))
	return err
}

func (c *logfmtCore) Sync() error { return c.out.Sync() }

// logrusLevel is the level's name as logrus (runc) writes it: "warning",
// not zap's "warn".
func logrusLevel(l zapcore.Level) string {
	if l == zapcore.WarnLevel {
		return "warning"
	}
	return l.String()
}

// encodeLogrusLevel is logrusLevel for zap's JSON encoder.
func encodeLogrusLevel(l zapcore.Level, enc zapcore.PrimitiveArrayEncoder) {
	enc.AppendString(logrusLevel(l))
}

// logfmtValue quotes s unless it is a plain word, as logrus does.
func logfmtValue(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._/@^+", r)) {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
