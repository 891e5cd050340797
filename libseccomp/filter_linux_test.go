package libseccomp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	seccomp "github.com/seccomp/libseccomp-golang"
	"github.com/stretchr/testify/require"
)

func uintp(v uint) *uint { return &v }

// logBuffer records a logger's entries as JSON lines.
type logBuffer struct{ bytes.Buffer }

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// find returns the entries at level whose message contains snippet.
func (b *logBuffer) find(level slog.Level, snippet string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		msg, _ := e[slog.MessageKey].(string)
		if e[slog.LevelKey] == level.String() && strings.Contains(msg, snippet) {
			out = append(out, e)
		}
	}
	return out
}

// pfc builds the filter and returns libseccomp's pseudo filter code, plus
// what was logged.
func pfc(t *testing.T, s *specs.LinuxSeccomp) (string, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	f, err := NewFilter(s, logs.logger())
	require.NoError(t, err)
	defer f.Release()
	var buf bytes.Buffer
	require.NoError(t, f.ExportPFC(&buf))
	return buf.String(), logs
}

func TestNewFilterTranslatesProfile(t *testing.T) {
	tests := []struct {
		name    string
		profile specs.LinuxSeccomp
		want    []string // regexps that must match the PFC text
		notWant []string // regexps that must not match
		warns   []string // substrings of logged warnings
	}{
		{
			name:    "errno without errnoRet is EPERM, default errno from defaultErrnoRet",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uintp(38), Syscalls: []specs.LinuxSyscall{{Names: []string{"read", "write"}, Action: specs.ActAllow}, {Names: []string{"mkdir"}, Action: specs.ActErrno}}},
			want:    []string{`(?s)"read".*action ALLOW;`, `(?s)"write".*action ALLOW;`, `(?s)"mkdir" \(\d+\)[^\n]*\n\s+if \(\$syscall == \d+\)\n\s+action ERRNO\(1\);`, `# default action\n\s+action ERRNO\(38\);`},
		},
		{
			name:    "default errno without defaultErrnoRet is EPERM",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}}},
			want:    []string{`# default action\n\s+action ERRNO\(1\);`},
		},
		{
			name: "every action",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"read"}, Action: specs.ActKill},
				{Names: []string{"write"}, Action: specs.ActKillThread},
				{Names: []string{"open"}, Action: specs.ActKillProcess},
				{Names: []string{"close"}, Action: specs.ActTrap},
				{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uintp(13)},
				{Names: []string{"rmdir"}, Action: specs.ActTrace, ErrnoRet: uintp(7)},
				{Names: []string{"chdir"}, Action: specs.ActTrace},
				{Names: []string{"getcwd"}, Action: specs.ActLog},
			}},
			want: []string{
				`"read" \(0\)[^\n]*\n\s+if[^\n]*\n\s+action KILL;`,
				`"write" \(1\)[^\n]*\n\s+if[^\n]*\n\s+action KILL;`,
				`"open" \(2\)[^\n]*\n\s+if[^\n]*\n\s+action KILL_PROCESS;`,
				`"close" \(3\)[^\n]*\n\s+if[^\n]*\n\s+action TRAP;`,
				`"mkdir" \(83\)[^\n]*\n\s+if[^\n]*\n\s+action ERRNO\(13\);`,
				`"rmdir" \(84\)[^\n]*\n\s+if[^\n]*\n\s+action TRACE\(7\);`,
				`"chdir" \(80\)[^\n]*\n\s+if[^\n]*\n\s+action TRACE\(1\);`,
				`"getcwd" \(79\)[^\n]*\n\s+if[^\n]*\n\s+action LOG;`,
				`# default action\n\s+action ALLOW;`,
			},
		},
		{
			name: "conditions on different indexes are ANDed in one rule",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"personality"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 8, Op: specs.OpEqualTo}, {Index: 1, Value: 3, Op: specs.OpNotEqual},
			}}}},
			// a0 == 8 is followed by the a1 test, never directly by the action.
			want:    []string{`a0\.lo32 == 8\)\n\s+if \(\$a1`},
			notWant: []string{`a0\.lo32 == 8\)\n\s+action`},
		},
		{
			name: "conditions on the same index become separate rules",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"personality"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 8, Op: specs.OpEqualTo}, {Index: 0, Value: 9, Op: specs.OpEqualTo},
			}}}},
			want: []string{`a0\.lo32 == 8\)\n\s+action ERRNO\(1\);`, `a0\.lo32 == 9\)\n\s+action ERRNO\(1\);`},
		},
		{
			name: "every operator, masked equal uses value as mask and valueTwo as datum",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 5, Op: specs.OpNotEqual}}},
				{Names: []string{"write"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 5, Op: specs.OpLessThan}}},
				{Names: []string{"open"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 5, Op: specs.OpLessEqual}}},
				{Names: []string{"close"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 2, Value: 5, Op: specs.OpEqualTo}}},
				{Names: []string{"mkdir"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 5, Op: specs.OpGreaterEqual}}},
				{Names: []string{"rmdir"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 5, Op: specs.OpGreaterThan}}},
				{Names: []string{"clone"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0x10, ValueTwo: 0x10, Op: specs.OpMaskedEqual}}},
			}},
			want: []string{
				`(?s)"read".*a0\.lo32 == 5\)\n\s+else\n\s+action ERRNO`, // NE is emitted as "== else"
				`(?s)"write".*a0\.lo32 >= 5\)\n\s+else\n\s+action ERRNO`,
				`(?s)"open".*a0\.lo32 > 5\)\n\s+else\n\s+action ERRNO`,
				`(?s)"close".*a2\.lo32 == 5\)\n\s+action ERRNO`,
				`(?s)"mkdir".*a0\.lo32 >= 5\)\n\s+action ERRNO`,
				`(?s)"rmdir".*a0\.lo32 > 5\)\n\s+action ERRNO`,
				`(?s)"clone".*a0\.lo32 & 0x00000010 == 16\)\n\s+action ERRNO`,
			},
		},
		{
			name: "unknown syscall skipped with a warning, the others kept",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"no_such_syscall_2099", "mkdir"}, Action: specs.ActErrno},
			}},
			want:    []string{`"mkdir" \(83\)`},
			notWant: []string{`no_such_syscall`},
			warns:   []string{"syscall unknown to libseccomp"},
		},
		{
			name: "rule with the default action is skipped",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
				{Names: []string{"mkdir"}, Action: specs.ActErrno},                      // same as default: skipped
				{Names: []string{"rmdir"}, Action: specs.ActErrno, ErrnoRet: uintp(38)}, // different errno: kept
				{Names: []string{"read"}, Action: specs.ActAllow},
			}},
			want:    []string{`"rmdir" \(84\)[^\n]*\n\s+if[^\n]*\n\s+action ERRNO\(38\);`, `"read"`},
			notWant: []string{`"mkdir"`},
		},
		{
			name: "architectures added, native always present",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{specs.ArchX86, specs.ArchX32, specs.ArchAARCH64},
				Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}}},
			want: []string{`filter for arch x86_64 `, `filter for arch x86 `, `filter for arch x32 `, `filter for arch aarch64 `},
		},
		{
			name:    "no architectures: native only",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}}},
			want:    []string{`filter for arch x86_64 `},
			notWant: []string{`filter for arch x86 `, `filter for arch x32 `},
		},
		{
			name: "known flags accepted, errnoRet on a non-errno action ignored with a warning",
			profile: specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{
				"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
			}, Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActKillProcess, ErrnoRet: uintp(5)}}},
			want:  []string{`"mkdir" \(83\)[^\n]*\n\s+if[^\n]*\n\s+action KILL_PROCESS;`},
			warns: []string{"only applies to SCMP_ACT_NOTIFY", "errnoRet ignored"},
		},
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("the expected PFC text uses x86_64 syscall numbers and arch names")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, logs := pfc(t, &tc.profile)
			for _, w := range tc.want {
				require.Regexp(t, regexp.MustCompile(w), out)
			}
			for _, w := range tc.notWant {
				require.NotRegexp(t, regexp.MustCompile(w), out)
			}
			for _, w := range tc.warns {
				require.NotEmpty(t, logs.find(slog.LevelWarn, w), "no warning %q in %s", w, logs.String())
			}
		})
	}
}

func TestNewFilterFlagsChangeAttributes(t *testing.T) {
	f, err := NewFilter(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}}, nil)
	require.NoError(t, err)
	defer f.Release()
	logBit, err := f.filter.GetLogBit()
	require.NoError(t, err)
	require.True(t, logBit)
	ssb, err := f.filter.GetSSB()
	require.NoError(t, err)
	require.True(t, ssb)
	nnp, err := f.filter.GetNoNewPrivsBit()
	require.NoError(t, err)
	require.False(t, nnp, "NewFilter must leave no_new_privs to the caller")

	g, err := NewFilter(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow}, nil)
	require.NoError(t, err)
	defer g.Release()
	logBit, err = g.filter.GetLogBit()
	require.NoError(t, err)
	require.False(t, logBit)
}

func TestLargeProfileUsesBinaryTree(t *testing.T) {
	// Every native syscall libseccomp knows (about 370 on x86_64), padded
	// past the threshold with names it does not know: runc's count, like
	// ours, is of names in the profile.
	var names []string
	for nr := 0; nr < 1024; nr++ {
		if name, err := seccomp.ScmpSyscall(nr).GetName(); err == nil {
			names = append(names, name)
		}
	}
	known := len(names)
	require.Greater(t, known, 100)
	for i := 0; len(names) <= optimizeAbove; i++ {
		names = append(names, fmt.Sprintf("no_such_syscall_%d", i))
	}
	logs := &logBuffer{}
	big, err := NewFilter(&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}}}, logs.logger())
	require.NoError(t, err)
	defer big.Release()
	level, err := big.filter.GetOptimize()
	require.NoError(t, err)
	require.Equal(t, 2, level)
	summary := logs.find(slog.LevelDebug, "seccomp filter built")
	require.Len(t, summary, 1)
	require.EqualValues(t, known, summary[0]["rules"])
	require.EqualValues(t, len(names)-known, summary[0]["skippedSyscalls"])

	small, err := NewFilter(&specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: names[:10], Action: specs.ActAllow}}}, nil)
	require.NoError(t, err)
	defer small.Release()
	level, err = small.filter.GetOptimize()
	require.NoError(t, err)
	require.Equal(t, 1, level)
}

func TestNewFilterRejectsBadFields(t *testing.T) {
	allow := specs.ActAllow
	tests := []struct {
		name    string
		profile *specs.LinuxSeccomp
		wantErr string
	}{
		{"nil profile", nil, "linux.seccomp: no profile"},
		{"empty default action", &specs.LinuxSeccomp{}, `linux.seccomp.defaultAction: unknown action ""`},
		{"unknown default action", &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_FOO"}, `linux.seccomp.defaultAction: unknown action "SCMP_ACT_FOO"`},
		{"notify default", &specs.LinuxSeccomp{DefaultAction: specs.ActNotify, ListenerPath: "/run/agent.sock"}, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not allowed as the default action"},
		{"notify on write", &specs.LinuxSeccomp{DefaultAction: allow, ListenerPath: "/run/agent.sock", Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno}, {Names: []string{"mkdir", "write"}, Action: specs.ActNotify}}}, "linux.seccomp.syscalls[1].names[1]: SCMP_ACT_NOTIFY is not allowed for write: the container init writes to the runtime after loading the filter"},
		{"notify without listenerPath", &specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno}, {Names: []string{"mkdir"}, Action: specs.ActNotify}}}, "linux.seccomp.syscalls[1].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath"},
		{"listenerMetadata without listenerPath", &specs.LinuxSeccomp{DefaultAction: allow, ListenerMetadata: "x", Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}}, "linux.seccomp.listenerMetadata: set without linux.seccomp.listenerPath"},
		{"defaultErrnoRet too large", &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: uintp(70000)}, "linux.seccomp.defaultErrnoRet: 70000 does not fit in 16 bits"},
		{"unknown arch", &specs.LinuxSeccomp{DefaultAction: allow, Architectures: []specs.Arch{specs.ArchX86, "SCMP_ARCH_VAX"}}, `linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_VAX"`},
		{"non-OCI arch alias", &specs.LinuxSeccomp{DefaultAction: allow, Architectures: []specs.Arch{"SCMP_ARCH_AMD64"}}, `linux.seccomp.architectures[0]: unknown architecture "SCMP_ARCH_AMD64"`},
		{"unknown flag", &specs.LinuxSeccomp{DefaultAction: allow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS"}}, `linux.seccomp.flags[1]: unknown flag "SECCOMP_FILTER_FLAG_BOGUS"`},
		{"unknown rule action", &specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: "SCMP_ACT_BAR"}}}, `linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_BAR"`},
		{"rule errnoRet too large", &specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno}, {Names: []string{"read"}, Action: specs.ActTrace, ErrnoRet: uintp(65536)}}}, "linux.seccomp.syscalls[1].errnoRet: 65536 does not fit in 16 bits"},
		{"no names", &specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Action: specs.ActErrno}}}, "linux.seccomp.syscalls[0].names: empty"},
		{"empty name", &specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read", ""}, Action: specs.ActErrno}}}, "linux.seccomp.syscalls[0].names[1]: empty"},
		{"unknown operator", &specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno}, {Names: []string{"write"}, Action: specs.ActErrno}, {Names: []string{"open"}, Action: specs.ActErrno}, {Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_FOO"}}}}}, `linux.seccomp.syscalls[3].args[0].op: unknown operator "SCMP_CMP_FOO"`},
		{"unknown operator names the arg", &specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 1, Op: specs.OpEqualTo}, {Index: 0, Op: "SCMP_CMP_FOO"}}}}}, `linux.seccomp.syscalls[0].args[1].op: unknown operator "SCMP_CMP_FOO"`},
		{"empty operator", &specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0}}}}}, `linux.seccomp.syscalls[0].args[0].op: unknown operator ""`},
		{"index out of range", &specs.LinuxSeccomp{DefaultAction: allow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}}, "linux.seccomp.syscalls[0].args[0].index: 6 out of range 0-5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFilter(tc.profile, nil)
			require.Nil(t, f)
			require.EqualError(t, err, tc.wantErr)
			require.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestNotifyRulesAccepted(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the expected PFC text uses x86_64 syscall numbers")
	}
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock", ListenerMetadata: "m",
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActNotify}},
	}
	f, err := NewFilter(s, nil)
	require.NoError(t, err)
	defer f.Release()
	require.True(t, f.UsesNotify())
	var buf bytes.Buffer
	require.NoError(t, f.ExportPFC(&buf))
	require.Regexp(t, `"mkdir" \(83\)[^\n]*\n\s+if[^\n]*\n\s+action (NOTIFY|0x7fc00000);`, buf.String())
	require.Regexp(t, `"mkdirat" \(258\)[^\n]*\n\s+if[^\n]*\n\s+action (NOTIFY|0x7fc00000);`, buf.String())
	// Not loaded: there is no listener yet.
	_, err = f.NotifyFd()
	require.Error(t, err)

	// A listenerPath without NOTIFY rules is ignored (runtime-spec).
	g, err := NewFilter(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock",
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}}}, nil)
	require.NoError(t, err)
	defer g.Release()
	require.False(t, g.UsesNotify())
	_, err = g.NotifyFd()
	require.EqualError(t, err, "seccomp listener fd: no SCMP_ACT_NOTIFY rule in the profile")
}

func TestReleaseTwiceAndUseAfterRelease(t *testing.T) {
	f, err := NewFilter(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow}, nil)
	require.NoError(t, err)
	f.Release()
	f.Release()
	require.EqualError(t, f.Load(), "load seccomp filter: filter released")
	require.Error(t, f.ExportPFC(&bytes.Buffer{}))
}

func TestKnownLists(t *testing.T) {
	require.Contains(t, KnownActions(), "SCMP_ACT_KILL_PROCESS")
	require.Contains(t, KnownOperators(), "SCMP_CMP_MASKED_EQ")
	require.Contains(t, KnownArchs(), "SCMP_ARCH_X86_64")
	require.Equal(t, []string{"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}, KnownFlags())
}

// FuzzNewFilter feeds arbitrary JSON profiles through the translation: it
// must return a filter or an error, never panic.
func FuzzNewFilter(f *testing.F) {
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"],"flags":["SECCOMP_FILTER_FLAG_LOG"],"syscalls":[{"names":["mkdir","bogus"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["clone"],"action":"SCMP_ACT_TRACE","errnoRet":9,"args":[{"index":5,"value":16,"valueTwo":16,"op":"SCMP_CMP_MASKED_EQ"}]}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_NOTIFY"}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_KILL","syscalls":[{"names":[""],"action":"SCMP_ACT_LOG","args":[{"index":9,"op":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s specs.LinuxSeccomp
		if json.Unmarshal(data, &s) != nil {
			return
		}
		flt, err := NewFilter(&s, nil)
		if err != nil {
			require.Nil(t, flt)
			require.True(t, strings.HasPrefix(err.Error(), "linux.seccomp"), "error does not name the field: %v", err)
			return
		}
		var buf bytes.Buffer
		require.NoError(t, flt.ExportPFC(&buf))
		flt.Release()
	})
}
