//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command runtimetest runs inside a contest container and checks, from
// there, that what the bundle's config (copied to /config.json) asks for
// holds: mounts, paths, namespaces' settings, process attributes.
//
// The check is named by the first argument (or $RUNTIMETEST_CHECK).
// Failures go to stderr, one per line, with exit status 1; a passing check
// prints "runtimetest: NAME: ok" on stdout so the harness can tell that it
// ran at all. It must be linked statically (CGO_ENABLED=0): the busybox
// rootfs has no libc.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// startFDs are the fds open when main starts, read with raw syscalls
// before the Go runtime's netpoller opens its epoll and eventfd (the debug
// directives at the top of this file keep the runtime from opening cgroup
// files to size GOMAXPROCS), so fd_control sees what the container runtime
// left open.
var startFDs []int

// checker returns every violation it found.
type checker func(spec *specs.Spec) []error

var checks = map[string]checker{
	"hello_world":                         checkHelloWorld,
	"readonly_paths":                      checkReadonlyPaths,
	"masked_paths":                        checkMaskedPaths,
	"set_host_name":                       checkHostname,
	"domainname_test":                     checkDomainname,
	"sysctl":                              checkSysctl,
	"scheduler_policy_other":              checkScheduler,
	"scheduler_policy_batch":              checkScheduler,
	"io_priority_class_rt":                checkIOPriority,
	"io_priority_class_be":                checkIOPriority,
	"io_priority_class_idle":              checkIOPriority,
	"memory_policy":                       checkMemoryPolicy,
	"devices":                             checkDevices,
	"root_readonly":                       checkRootReadonly,
	"process":                             checkProcess,
	"process_capabilities":                checkCapabilities,
	"process_capabilities_bounding_unset": checkBoundingUnset,
	"process_user":                        checkUser,
	"process_rlimits":                     checkRlimits,
	"process_oom_score_adj":               checkOOMScoreAdj,
	"no_pivot":                            checkNoPivot,
	"fd_control":                          checkFDs,
	"rootfs_propagation":                  checkRootfsPropagation,
	"uid_mappings":                        checkIDMappings,
	"net_devices":                         checkNetDevices,
	"time_offsets":                        checkTimeOffsets,
	"seccomp":                             checkSeccomp,
	"mounts_recursive":                    checkMountsRecursive,
	"mounts_recursive_rbind_ro":           checkRbindRO,
	"personality":                         checkPersonality,
	"namespaces":                          checkNamespaces,
}

func main() {
	startFDs = openFDs()
	name := os.Getenv("RUNTIMETEST_CHECK")
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	if name == "list" {
		names := make([]string, 0, len(checks))
		for n := range checks {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			fmt.Println(n)
		}
		return
	}
	check, ok := checks[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "runtimetest: unknown check %q (runtimetest list shows them)\n", name)
		os.Exit(2)
	}
	spec, err := loadSpec("/config.json")
	if err != nil {
		fmt.Fprintf(os.Stderr, "runtimetest: %v\n", err)
		os.Exit(2)
	}
	if errs := check(spec); len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintf(os.Stderr, "runtimetest: %s: %v\n", name, e)
		}
		os.Exit(1)
	}
	fmt.Printf("runtimetest: %s: ok\n", name)
}

func loadSpec(path string) (*specs.Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read bundle config: %w", err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if s.Process == nil {
		s.Process = &specs.Process{}
	}
	if s.Linux == nil {
		s.Linux = &specs.Linux{}
	}
	// An exec'd process checks its own process.json, not the container's.
	if p := os.Getenv("RUNTIMETEST_PROCESS"); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read RUNTIMETEST_PROCESS: %w", err)
		}
		s.Process = &specs.Process{}
		if err := json.Unmarshal(data, s.Process); err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
	}
	return &s, nil
}

func checkHelloWorld(*specs.Spec) []error {
	fmt.Println("hello world")
	return nil
}
