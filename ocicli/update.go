package ocicli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
)

const updateLong = `Update the resource limits of a running container, either from a JSON file of
runtime-spec LinuxResources (--resources FILE, or - for stdin; every other
resource flag is then ignored) or from the flags below. Fields left out are
unchanged. Example of --resources input:

  {
    "memory": {"limit": 0, "reservation": 0, "swap": 0, "checkBeforeUpdate": true},
    "cpu": {"shares": 0, "quota": 0, "burst": 0, "period": 0, "realtimeRuntime": 0,
            "realtimePeriod": 0, "cpus": "", "mems": "", "idle": 0},
    "blockIO": {"weight": 0},
    "pids": {"limit": 0}
  }`

func (c *commands) update() *cobra.Command {
	o := &UpdateOptions{}
	// Every resource flag is read as a string and parsed here, so that the
	// error names the flag and "given" is distinguishable from "zero".
	raw := map[string]*string{}
	cmd := &cobra.Command{
		Use:   "update [flags] " + idArg,
		Short: "update the resource limits of a container",
		Long:  updateLong,
		Args:  posArgs(1, 1, true),
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.Resources, "resources", "r", "", "JSON file of the resources to update, or - for stdin")
	for _, f := range []struct{ name, usage string }{
		{"blkio-weight", "block IO weight of the cgroup, 10 to 1000"},
		{"cpu-period", "CPU CFS period in microseconds (0: system default)"},
		{"cpu-quota", "CPU CFS quota in microseconds per period"},
		{"cpu-burst", "CPU CFS burst in microseconds per period"},
		{"cpu-share", "CPU shares (relative weight against other containers)"},
		{"cpu-rt-period", "CPU realtime period in microseconds (0: system default)"},
		{"cpu-rt-runtime", "CPU realtime runtime in microseconds per period"},
		{"cpu-idle", "cgroup SCHED_IDLE: 0 default, 1 idle"},
		{"cpuset-cpus", "CPUs the container may use (e.g. 0-3,5)"},
		{"cpuset-mems", "memory nodes the container may use"},
		{"memory", "memory limit in bytes (512m, 1g; -1: unlimited)"},
		{"memory-reservation", "memory soft limit in bytes"},
		{"memory-swap", "memory plus swap limit in bytes (-1: unlimited swap)"},
		{"pids-limit", "maximum number of pids in the container"},
		{"l3-cache-schema", "Intel RDT/CAT L3 cache schema"},
		{"mem-bw-schema", "Intel RDT/MBA memory bandwidth schema"},
	} {
		s := new(string)
		raw[f.name] = s
		fs.StringVar(s, f.name, "", f.usage)
	}
	for _, name := range []string{"kernel-memory", "kernel-memory-tcp"} {
		s := new(string)
		raw[name] = s
		fs.StringVar(s, name, "", "obsolete, ignored")
		_ = fs.MarkHidden(name)
	}
	cmd.RunE = c.runE(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		o.ID = args[0]
		given := func(name string) (string, bool) {
			if !changed(fs, name) {
				return "", false
			}
			return *raw[name], true
		}
		bad := func(name, v, want string) error {
			return usageErr(cmd, "invalid --%s %q: want %s", name, v, want)
		}
		if v, ok := given("blkio-weight"); ok {
			w, err := strconv.ParseUint(v, 10, 16)
			if err != nil {
				return bad("blkio-weight", v, "a number in 10-1000")
			}
			// runc treats 0 as "not given".
			if w != 0 {
				w16 := uint16(w)
				o.BlkioWeight = &w16
			}
		}
		for _, p := range []struct {
			name string
			dst  **uint64
		}{
			{"cpu-period", &o.CPUPeriod}, {"cpu-burst", &o.CPUBurst},
			{"cpu-share", &o.CPUShares}, {"cpu-rt-period", &o.CPURtPeriod},
		} {
			if v, ok := given(p.name); ok {
				n, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					return bad(p.name, v, "a non-negative integer")
				}
				*p.dst = &n
			}
		}
		for _, p := range []struct {
			name string
			dst  **int64
		}{
			{"cpu-quota", &o.CPUQuota}, {"cpu-rt-runtime", &o.CPURtRuntime},
			{"cpu-idle", &o.CPUIdle}, {"pids-limit", &o.PidsLimit},
		} {
			if v, ok := given(p.name); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return bad(p.name, v, "an integer")
				}
				*p.dst = &n
			}
		}
		for _, p := range []struct {
			name string
			dst  **int64
		}{
			{"memory", &o.Memory}, {"memory-reservation", &o.MemoryReservation},
			{"memory-swap", &o.MemorySwap},
		} {
			if v, ok := given(p.name); ok {
				n, err := parseBytes(p.name, v)
				if err != nil {
					return usageErr(cmd, "%v", err)
				}
				*p.dst = &n
			}
		}
		for _, p := range []struct {
			name string
			dst  **string
		}{
			{"cpuset-cpus", &o.CpusetCpus}, {"cpuset-mems", &o.CpusetMems},
			{"l3-cache-schema", &o.L3CacheSchema}, {"mem-bw-schema", &o.MemBwSchema},
		} {
			if v, ok := given(p.name); ok {
				s := v
				*p.dst = &s
			}
		}
		o.IgnoredFlags = nil
		for _, name := range []string{"kernel-memory", "kernel-memory-tcp"} {
			if changed(fs, name) {
				o.IgnoredFlags = append(o.IgnoredFlags, name)
			}
		}
		return c.h.Update(ctx, c.g, o)
	})
	return cmd
}

// LinuxResources returns the requested changes as runtime-spec resources.
// With --resources it decodes that file (or stdin for "-"); otherwise it
// builds them from the flags that were given. A nil section (Memory, CPU,
// BlockIO, Pids) means "unchanged". Like runc, --memory -1 without
// --memory-swap also sets swap to -1 (unlimited). The Intel RDT schemas are
// not LinuxResources fields: read them from o.L3CacheSchema and
// o.MemBwSchema.
func (o *UpdateOptions) LinuxResources(stdin io.Reader) (*specs.LinuxResources, error) {
	if o.Resources != "" {
		return decodeResources(o.Resources, stdin)
	}
	r := &specs.LinuxResources{}
	if o.Memory != nil || o.MemoryReservation != nil || o.MemorySwap != nil {
		r.Memory = &specs.LinuxMemory{
			Limit:       o.Memory,
			Reservation: o.MemoryReservation,
			Swap:        o.MemorySwap,
		}
		if o.Memory != nil && *o.Memory == -1 && o.MemorySwap == nil {
			unlimited := int64(-1)
			r.Memory.Swap = &unlimited
		}
	}
	if o.CPUPeriod != nil || o.CPUQuota != nil || o.CPUBurst != nil || o.CPUShares != nil ||
		o.CPURtPeriod != nil || o.CPURtRuntime != nil || o.CPUIdle != nil ||
		o.CpusetCpus != nil || o.CpusetMems != nil {
		r.CPU = &specs.LinuxCPU{
			Shares:          o.CPUShares,
			Quota:           o.CPUQuota,
			Burst:           o.CPUBurst,
			Period:          o.CPUPeriod,
			RealtimeRuntime: o.CPURtRuntime,
			RealtimePeriod:  o.CPURtPeriod,
			Idle:            o.CPUIdle,
		}
		if o.CpusetCpus != nil {
			r.CPU.Cpus = *o.CpusetCpus
		}
		if o.CpusetMems != nil {
			r.CPU.Mems = *o.CpusetMems
		}
	}
	if o.BlkioWeight != nil {
		r.BlockIO = &specs.LinuxBlockIO{Weight: o.BlkioWeight}
	}
	if o.PidsLimit != nil {
		r.Pids = &specs.LinuxPids{Limit: o.PidsLimit}
	}
	return r, nil
}

func decodeResources(path string, stdin io.Reader) (*specs.LinuxResources, error) {
	var in io.Reader
	name := path
	if path == "-" {
		if stdin == nil {
			return nil, fmt.Errorf("read --resources from stdin: no stdin")
		}
		in, name = stdin, "stdin"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open --resources file: %w", err)
		}
		defer f.Close()
		in = f
	}
	// Unknown fields are tolerated like runc does: a client built against a
	// newer runtime-spec may send fields this build does not know.
	var r specs.LinuxResources
	if err := json.NewDecoder(in).Decode(&r); err != nil {
		return nil, fmt.Errorf("decode --resources %s as LinuxResources JSON: %w", name, err)
	}
	return &r, nil
}
