package libseccomp_test

import (
	"fmt"
	"log/slog"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/libseccomp"
)

// The container init builds the filter from config.json, then loads it at
// the point where no_new_privs and capabilities allow it.
func ExampleNewFilter() {
	profile := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}, // EPERM
		},
	}
	f, err := libseccomp.NewFilter(profile, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Release()
	// f.Load() would now install it on every thread of this process.
	fmt.Println("filter built")

	_, err = libseccomp.NewFilter(&specs.LinuxSeccomp{DefaultAction: specs.ActNotify}, nil)
	fmt.Println(err)
	// Output:
	// filter built
	// linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not allowed as the default action
}
