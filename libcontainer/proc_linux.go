package libcontainer

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// procStat is what /proc/<pid>/stat tells about a process.
type procStat struct {
	state byte   // R, S, D, Z, T, X, ...
	start uint64 // start time in clock ticks since boot
}

// readProcStat parses /proc/<pid>/stat. The command name (field 2) may
// contain spaces and parentheses, so parsing starts after the last ')'.
func readProcStat(pid int) (procStat, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 || i+2 >= len(raw) {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: no command field", pid)
	}
	fields := bytes.Fields(raw[i+2:])
	// fields[0] is field 3 (state); start time is field 22.
	if len(fields) < 20 {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(fields)+2)
	}
	start, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat start time: %w", pid, err)
	}
	return procStat{state: fields[0][0], start: start}, nil
}

// alive reports whether pid is still the process that started at start
// and has not exited (a zombie counts as exited).
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := readProcStat(pid)
	if err != nil {
		return false
	}
	return st.start == start && st.state != 'Z' && st.state != 'X'
}
