// Package groups holds the contest test groups, named as youki's contest
// groups and tests (contest/src/tests) so results compare line by line.
package groups

import (
	"errors"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gocontainer/gocontainer/tests/contest/framework"
	"github.com/gocontainer/gocontainer/tests/contest/support"
)

// All returns every group, wired to env.
func All(env *support.Env) []*framework.TestGroup {
	var gs []*framework.TestGroup
	for _, f := range []func(*support.Env) []*framework.TestGroup{
		lifecycleGroups, hookGroups, insideGroups, processGroups, cgroupGroups,
		miscGroups, execGroups, checkpointGroups,
	} {
		gs = append(gs, f(env)...)
	}
	return gs
}

// inside is a test that runs runtimetest CHECK in a container made from
// the default spec edited by edit.
func inside(env *support.Env, name, check string, edit func(*specs.Spec), o *support.InsideOpts) *framework.Test {
	return framework.NewTest(name, func(t *framework.T) framework.Result {
		s := support.DefaultSpec()
		if edit != nil {
			edit(s)
		}
		return framework.FromError(env.TestInsideContainer(t, s, check, o))
	})
}

// createFails is a test whose container create must fail, with an error
// that mentions mention (case-insensitively; "" accepts any error), so
// that a runtime failing for an unrelated reason does not pass.
func createFails(env *support.Env, name, mention string, edit func(*specs.Spec)) *framework.Test {
	return framework.NewTest(name, func(t *framework.T) framework.Result {
		s := support.DefaultSpec()
		edit(s)
		return framework.FromError(env.TestOutsideContainer(t, s, func(c *support.Container, r support.CmdResult) error {
			if r.Code == 0 {
				return errors.New("create succeeded, want an error")
			}
			return errorMentions(r, mention)
		}))
	})
}

// errorMentions fails unless r's stderr contains mention.
func errorMentions(r support.CmdResult, mention string) error {
	if mention != "" && !strings.Contains(strings.ToLower(r.Stderr), strings.ToLower(mention)) {
		return fmt.Errorf("create failed, but its error does not mention %q: %s", mention, r)
	}
	return nil
}

// group builds a parallel group.
func group(name string, tests ...framework.Testable) *framework.TestGroup {
	return framework.NewTestGroup(name).Add(tests...)
}

// needV1 is a condition: the host has v1 controller c.
func needV1(c string) func() (bool, string) {
	return func() (bool, string) {
		if support.HasV1Controller(c) {
			return true, ""
		}
		return false, fmt.Sprintf("no cgroup v1 %s controller on this host", c)
	}
}

// needV2 is a condition: the host's cgroup2 hierarchy has controller c
// and is the one a runtime uses for it (unified host, or hybrid host
// without a v1 hierarchy of c).
func needV2(c string) func() (bool, string) {
	return func() (bool, string) {
		if support.HasV2Controller(c) && !support.HasV1Controller(c) {
			return true, ""
		}
		return false, fmt.Sprintf("no cgroup v2 %s controller in use on this host", c)
	}
}

// notRunc is a condition for tests of behaviour runc is known to lack.
func notRunc(env *support.Env, why string) func() (bool, string) {
	return func() (bool, string) {
		if env.IsRunc() {
			return false, "runc: " + why
		}
		return true, ""
	}
}
