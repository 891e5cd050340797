package ocicli

import (
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseSignal(t *testing.T) {
	good := []struct {
		in   string
		want syscall.Signal
	}{
		{"KILL", syscall.SIGKILL},
		{"SIGKILL", syscall.SIGKILL},
		{"sigkill", syscall.SIGKILL},
		{"Kill", syscall.SIGKILL},
		{"9", syscall.SIGKILL},
		{"09", syscall.SIGKILL},
		{"TERM", syscall.SIGTERM},
		{"15", syscall.SIGTERM},
		{"0", 0},
		{"HUP", syscall.SIGHUP},
		{"SIGUSR1", syscall.SIGUSR1},
		{"usr2", syscall.SIGUSR2},
		{"WINCH", syscall.SIGWINCH},
		{"SIGCHLD", syscall.SIGCHLD},
		{"CLD", syscall.SIGCHLD},
		{"IOT", syscall.SIGABRT},
		{"POLL", syscall.SIGIO},
		{"SIGPWR", syscall.SIGPWR},
		{"SIGSTKFLT", syscall.SIGSTKFLT},
		{"SIGSYS", syscall.SIGSYS},
		{" TERM ", syscall.SIGTERM},
		{"RTMIN", 34},
		{"SIGRTMIN", 34},
		{"RTMIN+3", 37},
		{"sigrtmin+0", 34},
		{"RTMIN+30", 64},
		{"RTMAX", 64},
		{"SIGRTMAX-1", 63},
		{"rtmax-30", 34},
		{"34", 34},
		{"64", 64},
	}
	for _, tc := range good {
		got, err := ParseSignal(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}

	bad := []struct{ in, msg string }{
		{"", "empty"},
		{"   ", "empty"},
		{"NOPE", "unknown signal name"},
		{"SIG", "unknown signal name"},
		{"SIGSIGKILL", "unknown signal name"},
		{"65", "out of range 0-64"},
		{"256", "out of range 0-64"},
		{"-9", "unknown signal name"},
		{"\u017figkill", "unknown signal name"}, // ToUpper would make it SIGKILL
		{"\u212aILL", "unknown signal name"},
		{"9x", "out of range"},
		{"RTMIN+31", `real-time offset "31" out of range 0-30`},
		{"RTMAX-31", "out of range"},
		{"RTMIN-1", "written +<number>"},
		{"RTMAX+1", "written -<number>"},
		{"RTMIN+", "written +<number>"},
		{"RTMIN+x", "out of range"},
		{"RTMIN+-1", "out of range"},
	}
	for _, tc := range bad {
		_, err := ParseSignal(tc.in)
		require.Error(t, err, tc.in)
		require.Contains(t, err.Error(), tc.msg, tc.in)
		require.Contains(t, err.Error(), "invalid signal", tc.in)
	}
}

// Every name the table knows parses with and without SIG, in both cases,
// to a distinct-enough, in-range number, and every number 0-64 parses to
// itself.
func TestParseSignalRoundTrip(t *testing.T) {
	for name, want := range signalNames {
		for _, in := range []string{name, "SIG" + name, strings.ToLower(name), "sig" + strings.ToLower(name)} {
			got, err := ParseSignal(in)
			require.NoError(t, err, in)
			require.Equal(t, want, got, in)
		}
		require.Greater(t, int(want), 0)
		require.Less(t, int(want), sigRTMin)
	}
	for n := 0; n <= sigRTMax; n++ {
		got, err := ParseSignal(strings.Repeat("0", n%2) + strconv.Itoa(n))
		require.NoError(t, err)
		require.Equal(t, syscall.Signal(n), got)
	}
}

// FuzzParseSignal checks that any input either fails with an error naming
// the input or yields a signal in 0-64, and that a success is stable under
// case changes and an added SIG prefix.
func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"KILL", "SIGTERM", "9", "RTMIN+3", "SIGRTMAX-1", "rtmin", "", "65", "RTMIN+99", "sig"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := ParseSignal(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid signal") {
				t.Fatalf("ParseSignal(%q) error %q lacks the invalid signal prefix", s, err)
			}
			return
		}
		if sig < 0 || sig > sigRTMax {
			t.Fatalf("ParseSignal(%q) = %d, out of range", s, sig)
		}
		trimmed := strings.TrimSpace(s)
		if trimmed != "" && (trimmed[0] < '0' || trimmed[0] > '9') {
			for _, v := range []string{strings.ToLower(s), strings.ToUpper(s)} {
				if got, err := ParseSignal(v); err != nil || got != sig {
					t.Fatalf("ParseSignal(%q) = %d, %v; ParseSignal(%q) = %d", v, got, err, s, sig)
				}
			}
		}
	})
}
