package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/ocicli"
)

// readLog returns the JSON lines of a --log file, decoded.
func readLog(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), "line %q", line)
		out = append(out, m)
	}
	return out
}

func TestJSONLogCarriesLevelMsgTimeAndEveryAttributeKind(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.json")
	log, err := newLogger(&ocicli.GlobalOptions{Log: path, LogFormat: "json", Debug: true})
	require.NoError(t, err)

	log.With("container", "c1").WithGroup("mount").Debug("mount failed",
		slog.String("target", "/proc"), slog.Int("flags", 14), slog.Uint64("dev", 7),
		slog.Bool("ro", true), slog.Duration("took", 1500*time.Millisecond),
		slog.Any("error", errors.New("permission denied")),
		slog.Any("options", []string{"nosuid", "nodev"}),
		slog.Group("src", slog.String("path", "/host")))
	log.Warn("plain")

	lines := readLog(t, path)
	require.Len(t, lines, 2)
	e := lines[0]
	require.Equal(t, "debug", e["level"])
	require.Equal(t, "mount failed", e["msg"])
	_, err = time.Parse(time.RFC3339Nano, e["time"].(string))
	require.NoError(t, err, "time %v", e["time"])
	require.Equal(t, "c1", e["container"], "WithAttrs before WithGroup stays ungrouped")
	require.Equal(t, "/proc", e["mount.target"])
	require.EqualValues(t, 14, e["mount.flags"])
	require.EqualValues(t, 7, e["mount.dev"])
	require.Equal(t, true, e["mount.ro"])
	require.Equal(t, "1.5s", e["mount.took"])
	require.Equal(t, "permission denied", e["mount.error"])
	require.Equal(t, []any{"nosuid", "nodev"}, e["mount.options"])
	require.Equal(t, "/host", e["mount.src.path"])
	require.Equal(t, map[string]any{"level": "warning", "msg": "plain", "time": lines[1]["time"]}, lines[1])
}

func TestLogLevelFiltersBelowIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.json")
	log, err := newLogger(&ocicli.GlobalOptions{Log: path, LogFormat: "json", LogLevel: "error"})
	require.NoError(t, err)
	log.Warn("dropped")
	log.Error("kept")
	lines := readLog(t, path)
	require.Len(t, lines, 1)
	require.Equal(t, "kept", lines[0]["msg"])

	_, err = newLogger(&ocicli.GlobalOptions{LogLevel: "loud"})
	require.ErrorContains(t, err, "--log-level")
}

// The binary must not link net/http: zap's root package imports it, and
// its initialisation costs every gocontainer process start about 2 ms
// (logging.go, docs/performance.md).
func TestBinaryDoesNotLinkNetHTTP(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	deps := strings.Fields(string(out))
	require.NotContains(t, deps, "net/http")
	require.NotContains(t, deps, "go.uber.org/zap", "use zapcore; zap's root package imports net/http")
	// Startup cost: the binary starts four times per container, and
	// importing any cilium/ebpf package (even asm: its internal package
	// pulls in debug/elf, go/parser, go/format, crypto, compress) added
	// about 1.4 ms to every start (state: 10.4 -> 11.8 ms). The device
	// program is encoded and loaded with raw bpf(2) calls instead
	// (libcgroups/devices); cilium/ebpf is only its tests' oracle.
	for _, d := range deps {
		require.False(t, strings.HasPrefix(d, "github.com/cilium/"), "%s is linked into the binary (startup cost)", d)
	}
	require.NotContains(t, deps, "debug/elf", "startup cost")
	require.NotContains(t, deps, "go/parser", "startup cost")
}

// TestTextLogIsRuncsFormat: runc's text log is logrus's: time="..."
// level=... msg=... and sorted key=value fields, quoted when needed.
func TestTextLogIsRuncsFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.txt")
	log, err := newLogger(&ocicli.GlobalOptions{Log: path, Debug: true})
	require.NoError(t, err)
	log.With("container", "c1").Debug("mount proc", slog.String("dest", "/proc"), slog.Any("error", errors.New("permission denied")))
	log.Warn("plain")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 2)
	require.Regexp(t, `^time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" level=debug msg="mount proc" container=c1 dest=/proc error="permission denied"$`, lines[0])
	require.Regexp(t, `^time="[^"]+" level=warning msg=plain$`, lines[1])
}
