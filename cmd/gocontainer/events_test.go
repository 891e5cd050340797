package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups"
)

// TestStatsEventUsesRuncFieldNames pins the JSON that go-runc decodes
// (runc types/events.go).
func TestStatsEventUsesRuncFieldNames(t *testing.T) {
	psi := &libcgroups.PSIStats{Some: libcgroups.PSIData{Avg10: 1.5, Total: 7}}
	st := &libcgroups.Stats{
		CPU: libcgroups.CPUStats{
			Usage:      libcgroups.CPUUsage{Total: 30, Kernel: 10, User: 20, PerCPU: []uint64{12, 18}},
			Throttling: libcgroups.CPUThrottling{Periods: 5, ThrottledPeriods: 2, ThrottledTime: 99},
			PSI:        psi,
		},
		Memory: libcgroups.MemoryStats{
			Cache: 4096,
			Usage: libcgroups.MemoryEntry{Usage: 100, MaxUsage: 200, Limit: 300, Failcnt: 1},
			Swap:  libcgroups.MemoryEntry{Usage: 101, Limit: 600},
			Stat:  map[string]uint64{"rss": 8},
		},
		Pids:    libcgroups.PidsStats{Current: 3, Limit: 10},
		Blkio:   libcgroups.BlkioStats{IoServiceBytesRecursive: []libcgroups.BlkioEntry{{Major: 8, Minor: 0, Op: "Read", Value: 512}}},
		Hugetlb: map[string]libcgroups.HugetlbStats{"2MB": {Usage: 2, MaxUsage: 4, Failcnt: 1}},
	}
	b, err := json.Marshal(event{Type: "stats", ID: "c1", Data: convertStats(st)})
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"stats","id":"c1","data":{
		"cpu":{"usage":{"total":30,"percpu":[12,18],"kernel":10,"user":20},
		       "throttling":{"periods":5,"throttledPeriods":2,"throttledTime":99},
		       "psi":{"some":{"avg10":1.5,"avg60":0,"avg300":0,"total":7},"full":{"avg10":0,"avg60":0,"avg300":0,"total":0}}},
		"memory":{"cache":4096,"usage":{"limit":300,"usage":100,"max":200,"failcnt":1},
		          "swap":{"limit":600,"usage":101,"failcnt":0},"raw":{"rss":8}},
		"pids":{"current":3,"limit":10},
		"blkio":{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":512}]},
		"hugetlb":{"2MB":{"usage":2,"max":4,"failcnt":1}}}}`, string(b))

	b, err = json.Marshal(event{Type: "oom", ID: "c1"})
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"oom","id":"c1"}`, string(b))
}
