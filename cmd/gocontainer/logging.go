package main

import (
	"fmt"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/ocicli"
)

// newLogger builds the runtime's logger from the global flags. With
// --log-format json every line is an object with "level", "msg" and "time",
// the fields containerd and conmon read back from the --log file.
func newLogger(g *ocicli.GlobalOptions) (*zap.Logger, string, error) {
	level := zapcore.WarnLevel
	name := "warn"
	if g.Debug {
		level, name = zapcore.DebugLevel, "debug"
	}
	if g.LogLevel != "" {
		l, err := zapcore.ParseLevel(g.LogLevel)
		if err != nil {
			return nil, "", fmt.Errorf("--log-level: %w", err)
		}
		level, name = l, g.LogLevel
	}
	out := zapcore.Lock(os.Stderr)
	if g.Log != "" {
		f, err := os.OpenFile(g.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return nil, "", fmt.Errorf("--log: %w", err)
		}
		out = zapcore.Lock(f)
	}
	ec := zapcore.EncoderConfig{
		TimeKey: "time", LevelKey: "level", MessageKey: "msg",
		EncodeTime: zapcore.RFC3339NanoTimeEncoder, EncodeLevel: zapcore.LowercaseLevelEncoder,
		EncodeDuration: zapcore.StringDurationEncoder, LineEnding: "\n",
	}
	var enc zapcore.Encoder
	if g.LogFormat == "json" {
		enc = zapcore.NewJSONEncoder(ec)
	} else {
		enc = zapcore.NewConsoleEncoder(ec)
	}
	return zap.New(zapcore.NewCore(enc, out, level)), name, nil
}
