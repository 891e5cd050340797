package libcontainer

import (
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"

	"github.com/gocontainer/gocontainer/libcgroups/cgroupstest"
)

func ptr[T any](v T) *T { return &v }

func TestMergeResources(t *testing.T) {
	created := &specs.LinuxResources{
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
		Memory:  &specs.LinuxMemory{Limit: ptr(int64(128 << 20)), Swap: ptr(int64(256 << 20))},
		CPU:     &specs.LinuxCPU{Shares: ptr(uint64(1024)), Quota: ptr(int64(50000)), Period: ptr(uint64(100000)), Cpus: "0"},
		Pids:    &specs.LinuxPids{Limit: ptr(int64(100))},
		BlockIO: &specs.LinuxBlockIO{
			Weight:                ptr(uint16(500)),
			ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8}, Rate: 1}},
		},
		Unified: map[string]string{"memory.high": "max"},
	}
	tests := []struct {
		name        string
		cur, upd    *specs.LinuxResources
		wantReq     *specs.LinuxResources // nil: nothing to set
		wantEff     *specs.LinuxResources
		wantIgnored []string
	}{
		{
			name:    "memory_limit_keeps_recorded_swap_so_the_manager_checks_the_pair",
			cur:     created,
			upd:     &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20))}},
			wantReq: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20)), Swap: ptr(int64(256 << 20))}},
			wantEff: func() *specs.LinuxResources {
				r := clone(t, created)
				r.Memory.Limit = ptr(int64(64 << 20))
				return r
			}(),
		},
		{
			name:    "quota_only_keeps_period_and_shares_of_the_cpu_section",
			cur:     created,
			upd:     &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: ptr(int64(-1))}},
			wantReq: &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(1024)), Quota: ptr(int64(-1)), Period: ptr(uint64(100000)), Cpus: "0"}},
			wantEff: func() *specs.LinuxResources {
				r := clone(t, created)
				r.CPU.Quota = ptr(int64(-1))
				return r
			}(),
		},
		{
			name:    "zero_values_and_empty_lists_mean_unchanged",
			cur:     created,
			upd:     &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(0)), Swap: ptr(int64(0))}, CPU: &specs.LinuxCPU{Shares: ptr(uint64(0)), Cpus: ""}, Pids: &specs.LinuxPids{Limit: ptr(int64(0))}, BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(0))}},
			wantReq: nil,
			wantEff: created,
		},
		{
			name:    "burst_and_idle_zero_are_real_values",
			cur:     created,
			upd:     &specs.LinuxResources{CPU: &specs.LinuxCPU{Burst: ptr(uint64(0)), Idle: ptr(int64(0))}},
			wantReq: &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(1024)), Quota: ptr(int64(50000)), Period: ptr(uint64(100000)), Cpus: "0", Burst: ptr(uint64(0)), Idle: ptr(int64(0))}},
			wantEff: func() *specs.LinuxResources {
				r := clone(t, created)
				r.CPU.Burst, r.CPU.Idle = ptr(uint64(0)), ptr(int64(0))
				return r
			}(),
		},
		{
			name: "nothing_recorded_starts_from_empty",
			cur:  nil,
			upd: &specs.LinuxResources{
				Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20))},
				CPU:    &specs.LinuxCPU{Shares: ptr(uint64(512)), Mems: "0"},
				Pids:   &specs.LinuxPids{Limit: ptr(int64(20))},
			},
			wantReq: &specs.LinuxResources{
				Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20))},
				CPU:    &specs.LinuxCPU{Shares: ptr(uint64(512)), Mems: "0"},
				Pids:   &specs.LinuxPids{Limit: ptr(int64(20))},
			},
			wantEff: &specs.LinuxResources{
				Memory: &specs.LinuxMemory{Limit: ptr(int64(64 << 20))},
				CPU:    &specs.LinuxCPU{Shares: ptr(uint64(512)), Mems: "0"},
				Pids:   &specs.LinuxPids{Limit: ptr(int64(20))},
			},
		},
		{
			name:    "blkio_weight_is_set_without_rewriting_the_throttle_lists",
			cur:     created,
			upd:     &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(300))}},
			wantReq: &specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: ptr(uint16(300))}},
			wantEff: func() *specs.LinuxResources {
				r := clone(t, created)
				r.BlockIO.Weight = ptr(uint16(300))
				return r
			}(),
		},
		{
			name:    "unified_keys_merge_one_by_one_and_only_given_keys_are_written",
			cur:     created,
			upd:     &specs.LinuxResources{Unified: map[string]string{"pids.max": "7"}},
			wantReq: &specs.LinuxResources{Unified: map[string]string{"pids.max": "7"}},
			wantEff: func() *specs.LinuxResources {
				r := clone(t, created)
				r.Unified["pids.max"] = "7"
				return r
			}(),
		},
		{
			name: "fields_update_cannot_change_are_reported_not_applied",
			cur:  created,
			upd: &specs.LinuxResources{
				Devices:        []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}},
				HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}},
				Network:        &specs.LinuxNetwork{},
				Rdma:           map[string]specs.LinuxRdma{"mlx": {}},
				BlockIO:        &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{{}}},
				Memory:         &specs.LinuxMemory{CheckBeforeUpdate: ptr(true)},
			},
			wantReq:     nil,
			wantEff:     created,
			wantIgnored: []string{"blockIO.weightDevice", "devices", "hugepageLimits", "memory.checkBeforeUpdate", "network", "rdma"},
		},
		{
			name:    "nil_update_changes_nothing",
			cur:     created,
			upd:     nil,
			wantReq: nil,
			wantEff: created,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := clone(t, tt.cur)
			m, err := mergeResources(tt.cur, tt.upd)
			require.NoError(t, err)
			require.Equal(t, tt.wantReq, m.request)
			require.Equal(t, tt.wantEff, m.effective)
			require.Equal(t, tt.wantIgnored, m.ignored)
			require.Equal(t, before, clone(t, tt.cur), "the recorded resources were modified")
		})
	}
}

func clone(t *testing.T, r *specs.LinuxResources) *specs.LinuxResources {
	t.Helper()
	if r == nil {
		return nil
	}
	c, err := cloneResources(r)
	require.NoError(t, err)
	return c
}

// runningContainer is a container record whose "init" is this test
// process, driven through the fake cgroup manager.
func runningContainer(t *testing.T, res *specs.LinuxResources) (*Container, *cgroupstest.Manager) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "c1")
	require.NoError(t, os.Mkdir(dir, 0o700))
	self, err := readProcStat(os.Getpid())
	require.NoError(t, err)
	st := &State{ID: "c1", InitPid: os.Getpid(), InitStart: self.start, InitReady: true, Resources: encodeResources(t, res)}
	require.NoError(t, saveState(dir, st))
	cg := cgroupstest.New("/fake")
	c := &Container{root: root, dir: dir, state: st, cg: cg}
	c.logger = slog.New(slog.DiscardHandler)
	require.Equal(t, StatusRunning, c.Status())
	return c, cg
}

func TestUpdateSetsMergedSectionsThenRecordsThem(t *testing.T) {
	c, cg := runningContainer(t, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(128 << 20))}, Pids: &specs.LinuxPids{Limit: ptr(int64(10))}})
	require.NoError(t, c.Update(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: ptr(int64(512 << 20))}}))
	require.Equal(t, []string{"Set"}, setCalls(cg))
	require.Equal(t, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(128 << 20)), Swap: ptr(int64(512 << 20))}}, cg.Resources())

	st, err := loadState(c.dir)
	require.NoError(t, err)
	require.Equal(t, &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: ptr(int64(128 << 20)), Swap: ptr(int64(512 << 20))},
		Pids:   &specs.LinuxPids{Limit: ptr(int64(10))},
	}, recorded(t, st))
}

func TestUpdateMergesOntoTheStateSavedByAnotherUpdate(t *testing.T) {
	c, _ := runningContainer(t, nil)
	// Another update (another process) records pids after c was loaded.
	other := *c.state
	other.Resources = encodeResources(t, &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(5))}})
	require.NoError(t, saveState(c.dir, &other))

	require.NoError(t, c.Update(&specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: ptr(uint64(512))}}))
	st, err := loadState(c.dir)
	require.NoError(t, err)
	require.Equal(t, &specs.LinuxResources{
		CPU:  &specs.LinuxCPU{Shares: ptr(uint64(512))},
		Pids: &specs.LinuxPids{Limit: ptr(int64(5))},
	}, recorded(t, st))
}

func TestUpdateRefusedBySetLeavesStateUntouched(t *testing.T) {
	c, cg := runningContainer(t, &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(10))}})
	before, err := os.ReadFile(filepath.Join(c.dir, stateFile))
	require.NoError(t, err)
	cg.Errors = map[string]error{"Set": errors.New("linux.resources.cpu.cpus: bad")}

	err = c.Update(&specs.LinuxResources{CPU: &specs.LinuxCPU{Cpus: "0-"}})
	require.ErrorContains(t, err, "linux.resources.cpu.cpus")
	after, err := os.ReadFile(filepath.Join(c.dir, stateFile))
	require.NoError(t, err)
	require.Equal(t, string(before), string(after))
}

func TestUpdateOfStoppedContainerFails(t *testing.T) {
	c, cg := runningContainer(t, nil)
	c.state.InitStart++ // the pid is now someone else's: stopped
	require.NoError(t, saveState(c.dir, c.state))

	err := c.Update(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptr(int64(3))}})
	require.ErrorIs(t, err, ErrNotRunning)
	require.ErrorContains(t, err, "stopped")
	require.Empty(t, setCalls(cg), "a stopped container's limits were set")
}

func TestUpdateWithNothingToChangeDoesNotTouchTheCgroup(t *testing.T) {
	c, cg := runningContainer(t, nil)
	require.NoError(t, c.Update(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: ptr(int64(0))}}))
	require.Empty(t, setCalls(cg))
}

// setCalls are the Set calls of the fake (Status reads the freezer too).
func setCalls(cg *cgroupstest.Manager) []string {
	var out []string
	for _, m := range cg.Methods() {
		if m == "Set" {
			out = append(out, m)
		}
	}
	return out
}

// encodeResources is r as State records it (nil: nothing recorded).
func encodeResources(t *testing.T, r *specs.LinuxResources) json.RawMessage {
	t.Helper()
	if r == nil {
		return nil
	}
	raw, err := json.Marshal(r)
	require.NoError(t, err)
	return raw
}

// recorded decodes the resources st records.
func recorded(t *testing.T, st *State) *specs.LinuxResources {
	t.Helper()
	r, err := st.recordedResources()
	require.NoError(t, err)
	return r
}
