package fs

import specs "github.com/opencontainers/runtime-spec/specs-go"

// SetWriteHook replaces the function Set writes control files with, so a
// test can record the order of writes or make one fail like the kernel.
func SetWriteHook(m *Manager, f func(dir, file, value string) error) { m.writeFile = f }

// ParseDevicesListForTest exposes parseDevicesList's result as the
// kernel's text, for the fuzz test.
func ParseDevicesListForTest(s string) (allow bool, lines []string, known bool, err error) {
	st, known, err := parseDevicesList(s)
	for _, e := range st.ex {
		lines = append(lines, e.String())
	}
	return st.allow, lines, known, err
}

// DeviceWrites renders planDevices' writes as "file: line" strings.
func DeviceWrites(rules []specs.LinuxDeviceCgroup) ([]string, error) {
	p, err := planDevices(rules)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(p.writes))
	for _, w := range p.writes {
		out = append(out, w.file+": "+w.line)
	}
	return out, nil
}
