package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.uber.org/zap/zapcore"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/ocicli"
)

// newLogger builds the runtime's logger from the global flags. With
// --log-format json every line is an object with "level", "msg" and "time",
// the fields containerd and conmon read back from the --log file.
//
// The libraries log through *slog.Logger; zap's encoders and level
// handling do the work here, behind a slog.Handler (zapHandler). The binary
// imports zapcore and never zap's root package: that one imports net/http
// (for AtomicLevel.ServeHTTP), whose package initialisation and pages cost
// about 2 ms at every start of every gocontainer process, four of which
// make up each container's create, init, start and delete
// (docs/performance.md).
func newLogger(g *ocicli.GlobalOptions) (*slog.Logger, error) {
	level := zapcore.WarnLevel
	if g.Debug {
		level = zapcore.DebugLevel
	}
	if g.LogLevel != "" {
		l, err := zapcore.ParseLevel(g.LogLevel)
		if err != nil {
			return nil, fmt.Errorf("--log-level: %w", err)
		}
		level = l
	}
	out := zapcore.Lock(os.Stderr)
	if g.Log != "" {
		f, err := os.OpenFile(g.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("--log: %w", err)
		}
		out = zapcore.Lock(f)
	}
	ec := zapcore.EncoderConfig{
		TimeKey: "time", LevelKey: "level", MessageKey: "msg",
		EncodeTime: zapcore.RFC3339NanoTimeEncoder, EncodeLevel: encodeLogrusLevel,
		EncodeDuration: zapcore.StringDurationEncoder, LineEnding: "\n",
	}
	if g.LogFormat != "json" {
		// runc's text format (logrus), which containerd and conmon
		// users grep the same way for either runtime.
		return slog.New(zapHandler{core: newLogfmtCore(out, level)}), nil
	}
	return slog.New(zapHandler{core: zapcore.NewCore(zapcore.NewJSONEncoder(ec), out, level)}), nil
}

// zapHandler is a slog.Handler that writes through a zapcore.Core.
type zapHandler struct {
	core zapcore.Core
	// group prefixes the keys of attributes added after WithGroup.
	group string
}

func (h zapHandler) Enabled(_ context.Context, l slog.Level) bool {
	return h.core.Enabled(zapLevel(l))
}

func (h zapHandler) Handle(_ context.Context, r slog.Record) error {
	ce := h.core.Check(zapcore.Entry{Level: zapLevel(r.Level), Time: r.Time, Message: r.Message}, nil)
	if ce == nil {
		return nil
	}
	fields := make([]zapcore.Field, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		fields = appendField(fields, h.group, a)
		return true
	})
	ce.Write(fields...)
	return nil
}

func (h zapHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	fields := make([]zapcore.Field, 0, len(attrs))
	for _, a := range attrs {
		fields = appendField(fields, h.group, a)
	}
	return zapHandler{core: h.core.With(fields), group: h.group}
}

func (h zapHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return zapHandler{core: h.core, group: h.group + name + "."}
}

// zapLevel maps slog's levels onto zap's (slog has no levels above error).
func zapLevel(l slog.Level) zapcore.Level {
	switch {
	case l >= slog.LevelError:
		return zapcore.ErrorLevel
	case l >= slog.LevelWarn:
		return zapcore.WarnLevel
	case l >= slog.LevelInfo:
		return zapcore.InfoLevel
	default:
		return zapcore.DebugLevel
	}
}

// appendField converts one attribute; groups are flattened to dotted keys.
func appendField(fields []zapcore.Field, prefix string, a slog.Attr) []zapcore.Field {
	v := a.Value.Resolve()
	if a.Key == "" && v.Kind() != slog.KindGroup {
		return fields // slog: an empty key with a non-group value is dropped
	}
	key := prefix + a.Key
	switch v.Kind() {
	case slog.KindGroup:
		p := prefix
		if a.Key != "" {
			p = key + "."
		}
		for _, g := range v.Group() {
			fields = appendField(fields, p, g)
		}
		return fields
	case slog.KindString:
		return append(fields, zapcore.Field{Key: key, Type: zapcore.StringType, String: v.String()})
	case slog.KindInt64:
		return append(fields, zapcore.Field{Key: key, Type: zapcore.Int64Type, Integer: v.Int64()})
	case slog.KindUint64:
		return append(fields, zapcore.Field{Key: key, Type: zapcore.Uint64Type, Integer: int64(v.Uint64())})
	case slog.KindBool:
		var b int64
		if v.Bool() {
			b = 1
		}
		return append(fields, zapcore.Field{Key: key, Type: zapcore.BoolType, Integer: b})
	case slog.KindDuration:
		return append(fields, zapcore.Field{Key: key, Type: zapcore.DurationType, Integer: int64(v.Duration())})
	case slog.KindTime:
		return append(fields, zapcore.Field{Key: key, Type: zapcore.StringType, String: v.Time().Format(time.RFC3339Nano)})
	}
	switch x := v.Any().(type) {
	case error:
		return append(fields, zapcore.Field{Key: key, Type: zapcore.ErrorType, Interface: x})
	case fmt.Stringer:
		return append(fields, zapcore.Field{Key: key, Type: zapcore.StringerType, Interface: x})
	default:
		return append(fields, zapcore.Field{Key: key, Type: zapcore.ReflectType, Interface: x})
	}
}
