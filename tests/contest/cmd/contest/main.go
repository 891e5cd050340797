// Command contest runs the contest integration suite against an OCI
// runtime:
//
//	contest run --runtime PATH --runtimetest PATH --rootfs DIR [-t group::test,test group ...]
//	contest list [--tests]
//
// Each test prints "N / M : name : ok | skipped REASON | not ok ERROR"
// plus a go-test-style "--- PASS: contest/group/test" line; the run ends
// with "P passed, F failed, S skipped" and exits 1 if anything failed.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
	"github.com/gocontainer/gocontainer/tests/contest/groups"
	"github.com/gocontainer/gocontainer/tests/contest/support"
)

const usage = `usage:
  contest run --runtime PATH --runtimetest PATH --rootfs DIR [-t SEL...] [--exclude FILE] [--timeout DUR] [--jobs N]
  contest list [--tests]

SEL is "group" or "group::test1,test2"; several may follow one -t.
--rootfs (or $CONTEST_ROOTFS) is a busybox rootfs (hack/mkrootfs.sh).
--exclude names a file of "group::test reason" lines reported as skipped.
`

// exitNoInput is youki's exit status for a runtime or runtimetest path
// that cannot be resolved (EX_NOINPUT).
const exitNoInput = 66

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	switch args[0] {
	case "list":
		return list(args[1:])
	case "run":
		return runSuite(args[1:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "contest: unknown command %q\n%s", args[0], usage)
	return 2
}

func list(args []string) int {
	tests := false
	for _, a := range args {
		if a != "--tests" {
			fmt.Fprintf(os.Stderr, "contest list: unknown argument %q\n", a)
			return 2
		}
		tests = true
	}
	m := framework.NewManager(os.Stdout)
	for _, g := range groups.All(&support.Env{}) {
		m.AddGroup(g)
	}
	for _, name := range m.GroupNames() {
		if !tests {
			fmt.Println(name)
			continue
		}
		for _, x := range m.Group(name).Tests() {
			fmt.Printf("%s::%s\n", name, x.Name())
		}
	}
	return 0
}

type runOpts struct {
	runtime, runtimetest, rootfs, exclude string
	selections                            []string
	timeout                               time.Duration
	jobs                                  int
}

func parseRun(args []string) (runOpts, error) {
	o := runOpts{rootfs: os.Getenv("CONTEST_ROOTFS"), jobs: max(4, 2*runtime.NumCPU())}
	value := func(i *int, name string) (string, error) {
		if k, v, ok := strings.Cut(args[*i], "="); ok && strings.HasPrefix(k, "--") {
			return v, nil
		}
		if *i+1 >= len(args) {
			return "", fmt.Errorf("%s needs a value", name)
		}
		*i++
		return args[*i], nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, _ := strings.Cut(a, "=")
		var err error
		switch name {
		case "-r", "--runtime":
			o.runtime, err = value(&i, name)
		case "--runtimetest":
			o.runtimetest, err = value(&i, name)
		case "--rootfs":
			o.rootfs, err = value(&i, name)
		case "--exclude":
			o.exclude, err = value(&i, name)
		case "--timeout":
			var v string
			if v, err = value(&i, name); err == nil {
				o.timeout, err = time.ParseDuration(v)
			}
		case "--jobs", "-j":
			var v string
			if v, err = value(&i, name); err == nil {
				o.jobs, err = strconv.Atoi(v)
			}
		case "-t", "--tests":
			// youki's form: every following argument up to the next flag.
			n := 0
			for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				o.selections = append(o.selections, args[i])
				n++
			}
			if n == 0 {
				err = errors.New("-t needs at least one group or group::test")
			}
		default:
			err = fmt.Errorf("unknown argument %q", a)
		}
		if err != nil {
			return o, err
		}
	}
	if o.runtime == "" || o.runtimetest == "" {
		return o, errors.New("--runtime and --runtimetest are required")
	}
	if o.rootfs == "" {
		return o, errors.New("--rootfs (or CONTEST_ROOTFS) is required: make one with hack/mkrootfs.sh")
	}
	return o, nil
}

func runSuite(args []string) int {
	o, err := parseRun(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "contest run: %v\n%s", err, usage)
		return 2
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "contest run: must run as root")
		return 2
	}
	sel, err := framework.ParseSelections(o.selections)
	if err != nil {
		fmt.Fprintf(os.Stderr, "contest run: %v\n", err)
		return 2
	}
	env, err := support.NewEnv(o.runtime, o.runtimetest, o.rootfs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "contest run: %v\n", err)
		return exitNoInput
	}
	m := framework.NewManager(os.Stdout)
	m.Timeout, m.Jobs = o.timeout, o.jobs
	if o.exclude != "" {
		f, err := os.Open(o.exclude)
		if err != nil {
			fmt.Fprintf(os.Stderr, "contest run: %v\n", err)
			return 2
		}
		m.Exclude, err = framework.ParseExcludes(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(os.Stderr, "contest run: exclude file %s: %v\n", o.exclude, err)
			return 2
		}
	}
	for _, g := range groups.All(env) {
		m.AddGroup(g)
	}
	m.AddCleanup(env.Close)
	fmt.Printf("# contest: runtime %s, runtimetest %s, root %s\n", env.Runtime, env.RuntimeTest, env.Root)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	sum, err := m.Run(ctx, sel)
	if err != nil {
		fmt.Fprintf(os.Stderr, "contest run: %v\n", err)
		_ = env.Close()
		return 2
	}
	fmt.Printf("# contest: %d tests in %s\n", len(sum.Outcomes), time.Since(start).Round(time.Millisecond))
	if sum.Failed > 0 || sum.CleanupErr != nil {
		return 1
	}
	return 0
}
