package ocicli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// annotationStopAtID marks commands whose flag parsing stops at the first
// positional argument (kill, ps, exec): what follows belongs to the signal,
// ps(1) or the command run in the container.
const annotationStopAtID = "ocicli/stop-at-id"

// normalizeLongFlags rewrites "-name" and "-name=value" into "--name..."
// when name is a long flag of the command being parsed. runc parsed its
// command line with Go's flag package (urfave/cli), which accepts a single
// dash before a long name, and scripts written for runc use it ("runc
// create -bundle ..."); pflag would read "-bundle" as "-b undle" and
// silently use the bundle "undle". Arguments after "--", flag values, and
// everything after the container id of kill, ps and exec are left alone.
func normalizeLongFlags(root *cobra.Command, args []string) []string {
	out := make([]string, 0, len(args))
	cmd := root
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) < 2 || a[0] != '-' {
			if cmd == root {
				if sub := subcommand(root, a); sub != nil {
					cmd = sub
					out = append(out, a)
					continue
				}
			}
			if cmd.Annotations[annotationStopAtID] != "" {
				return append(out, args[i:]...)
			}
			out = append(out, a)
			continue
		}
		if a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			switch {
			case len(name) > 1 && lookupLong(root, cmd, name) != nil,
				name == "help",
				name == "version" && cmd == root:
				a = "-" + a
			default:
				// A shorthand cluster such as "-td" or "-e" VALUE.
				out = append(out, a)
				if shorthandTakesNext(root, cmd, a[1:]) && i+1 < len(args) {
					i++
					out = append(out, args[i])
				}
				continue
			}
		}
		out = append(out, a)
		name, _, hasValue := strings.Cut(a[2:], "=")
		if f := lookupLong(root, cmd, name); f != nil && !hasValue && f.NoOptDefVal == "" && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}

func subcommand(root *cobra.Command, name string) *cobra.Command {
	for _, c := range root.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

// lookupLong finds a long flag of cmd, including the root's persistent
// (global) flags, which cobra merges into cmd only when it executes.
func lookupLong(root, cmd *cobra.Command, name string) *pflag.Flag {
	if f := cmd.Flags().Lookup(name); f != nil {
		return f
	}
	return root.PersistentFlags().Lookup(name)
}

// shorthandTakesNext reports whether the shorthand cluster (without its
// dash) ends in a flag that takes its value from the next argument.
func shorthandTakesNext(root, cmd *cobra.Command, cluster string) bool {
	for j := 0; j < len(cluster); j++ {
		c := cluster[j : j+1]
		f := cmd.Flags().ShorthandLookup(c)
		if f == nil {
			f = root.PersistentFlags().ShorthandLookup(c)
		}
		if f == nil || c == "=" {
			return false
		}
		if f.NoOptDefVal == "" {
			// Takes a value: the rest of the cluster, or the next argument.
			return j == len(cluster)-1
		}
	}
	return false
}
