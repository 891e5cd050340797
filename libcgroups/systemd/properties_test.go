package systemd_test

import (
	"math"
	"testing"

	"github.com/godbus/dbus/v5"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/systemd"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func asMap(ps []systemd.Property) map[string]any {
	m := map[string]any{}
	for _, p := range ps {
		m[p.Name] = p.Value.Value()
	}
	return m
}

const inf = uint64(math.MaxUint64)

func TestListToBits(t *testing.T) {
	for in, want := range map[string][]byte{
		"0":       {0x01},
		"0-3":     {0x0f},
		"1,3":     {0x0a},
		"8":       {0x00, 0x01},
		"0,9-10":  {0x01, 0x06},
		"0-15":    {0xff, 0xff},
		" 2-3 ":   {0x0c},
		"63":      {0, 0, 0, 0, 0, 0, 0, 0x80},
		"0-1,4-5": {0x33},
	} {
		got, err := systemd.ListToBits(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "a", "3-1", "1,,2", "70000"} {
		_, err := systemd.ListToBits(bad)
		require.Error(t, err, bad)
	}
}

func TestProperties(t *testing.T) {
	procDevices := func() ([]byte, error) {
		return []byte("Character devices:\n  1 mem\n  5 /dev/tty\n136 pts\n\nBlock devices:\n  8 sd\n"), nil
	}
	for _, tc := range []struct {
		name string
		r    *specs.LinuxResources
		v1   bool
		want map[string]any
		err  string
	}{
		{name: "nil", r: nil, want: map[string]any{}},
		{name: "shares default", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1024)}}, want: map[string]any{"CPUWeight": uint64(100)}},
		{name: "shares min max", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(262144)}}, want: map[string]any{"CPUWeight": uint64(10000)}},
		{name: "shares v1", v1: true, r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(512)}}, want: map[string]any{"CPUShares": uint64(512)}},
		{name: "quota and period", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000)}},
			want: map[string]any{"CPUQuotaPeriodUSec": uint64(100000), "CPUQuotaPerSecUSec": uint64(500000)}},
		{name: "quota rounded up to 10ms", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(1234)}},
			want: map[string]any{"CPUQuotaPerSecUSec": uint64(20000)}},
		{name: "quota with short period", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(25000), Period: u64(50000)}},
			want: map[string]any{"CPUQuotaPeriodUSec": uint64(50000), "CPUQuotaPerSecUSec": uint64(500000)}},
		{name: "unlimited quota", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1)}}, want: map[string]any{"CPUQuotaPerSecUSec": inf}},
		{name: "cpuset", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-1", Mems: "0"}},
			want: map[string]any{"AllowedCPUs": []byte{0x03}, "AllowedMemoryNodes": []byte{0x01}}},
		{name: "bad cpuset", r: &specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "1-"}}, err: "linux.resources.cpu.cpus"},
		{name: "memory", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(64 << 20), Reservation: i64(32 << 20), Swap: i64(128 << 20)}},
			want: map[string]any{"MemoryMax": uint64(64 << 20), "MemoryLow": uint64(32 << 20), "MemorySwapMax": uint64(64 << 20)}},
		{name: "memory unlimited", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}},
			want: map[string]any{"MemoryMax": inf, "MemorySwapMax": inf}},
		{name: "memory v1", v1: true, r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 30)}}, want: map[string]any{"MemoryLimit": uint64(1 << 30)}},
		{name: "swap below memory", r: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(64 << 20), Swap: i64(32 << 20)}}, err: "linux.resources.memory.swap"},
		{name: "pids", r: &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(100)}}, want: map[string]any{"TasksMax": uint64(100)}},
		{name: "pids unlimited", r: &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}}, want: map[string]any{"TasksMax": inf}},
		{name: "pids zero is unlimited", r: &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(0)}}, want: map[string]any{"TasksMax": inf}},
		{name: "io", r: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{
			Weight:                  u16(500),
			WeightDevice:            []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(1000)}},
			ThrottleReadBpsDevice:   []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1048576}},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 0}},
		}}, want: map[string]any{
			"IOWeight": uint64(4950),
			"IODeviceWeight": []struct {
				Path  string
				Value uint64
			}{{"/dev/block/8:0", 10000}},
			"IOReadBandwidthMax": []struct {
				Path  string
				Value uint64
			}{{"/dev/block/8:0", 1048576}},
			"IOWriteIOPSMax": []struct {
				Path  string
				Value uint64
			}{{"/dev/block/8:16", inf}},
		}},
		{name: "io weight out of range", r: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(5)}}, err: "linux.resources.blockIO.weight: 5 out of range"},
		{name: "devices deny by default", r: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
			{Allow: true, Type: "c", Major: i64(136), Minor: i64(-1), Access: "rw"},
			{Allow: true, Type: "b", Major: i64(-1), Minor: i64(-1), Access: "m"},
		}}, want: map[string]any{
			"DevicePolicy": "strict",
			"DeviceAllow": []struct{ Path, Access string }{
				{"block-*", "m"}, {"/dev/char/1:3", "rwm"}, {"char-pts", "rw"},
			},
		}},
		{name: "devices allow all", r: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}},
			want: map[string]any{"DevicePolicy": "auto", "DeviceAllow": []struct{ Path, Access string }{}}},
		{name: "devices deny list left to the eBPF program", r: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: true, Access: "rwm"}, {Allow: false, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
		}}, want: map[string]any{"DevicePolicy": "auto", "DeviceAllow": []struct{ Path, Access string }{}}},
		{name: "devices major without a name", r: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Major: i64(250), Minor: i64(-1), Access: "rwm"},
		}}, want: map[string]any{"DevicePolicy": "auto", "DeviceAllow": []struct{ Path, Access string }{}}},
		{name: "bad device rule", r: &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Type: "x", Access: "rwm"}}},
			err: "linux.resources.devices[0].type"},
		{name: "unified wins", r: &specs.LinuxResources{
			Memory:  &specs.LinuxMemory{Limit: i64(64 << 20)},
			Unified: map[string]string{"memory.max": "33554432", "memory.high": "max", "memory.min": "1024", "pids.max": "7", "cpu.weight": "50", "cpu.max": "20000 100000", "cpuset.cpus": "1", "io.max": "ignored"},
		}, want: map[string]any{
			"MemoryMax": uint64(32 << 20), "MemoryHigh": inf, "MemoryMin": uint64(1024), "TasksMax": uint64(7), "CPUWeight": uint64(50),
			"CPUQuotaPeriodUSec": uint64(100000), "CPUQuotaPerSecUSec": uint64(200000), "AllowedCPUs": []byte{0x02},
		}},
		{name: "unified v1 not mapped", v1: true, r: &specs.LinuxResources{Unified: map[string]string{"memory.max": "1"}}, want: map[string]any{}},
		{name: "bad unified cpu.weight", r: &specs.LinuxResources{Unified: map[string]string{"cpu.weight": "0"}}, err: `linux.resources.unified["cpu.weight"]`},
		{name: "bad unified memory.high", r: &specs.LinuxResources{Unified: map[string]string{"memory.high": "lots"}}, err: `linux.resources.unified["memory.high"]: "lots" is not a number or max`},
		{name: "bad unified cpu.max", r: &specs.LinuxResources{Unified: map[string]string{"cpu.max": "1 2 3"}}, err: `linux.resources.unified["cpu.max"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := systemd.Properties(tc.r, tc.v1, procDevices)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			got := asMap(ps)
			// Structured values are compared through their D-Bus form.
			for k, v := range tc.want {
				require.Contains(t, got, k)
				require.Equal(t, dbus.MakeVariant(v).String(), dbus.MakeVariant(got[k]).String(), k)
			}
			require.Len(t, got, len(tc.want), "properties: %v", ps)
		})
	}
}
