package ocicli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// ProgramName is the name used in usage lines, error messages and --version.
const ProgramName = "gocontainer"

// ExitError makes Execute exit with Code. run and exec return it with the
// container process' exit status (128+signal when it was killed), and
// Execute prints nothing for it unless Err is set.
type ExitError struct {
	Code int
	// Err, when set, is printed like any other error (for example runc
	// exits 255 when exec fails before the process starts); a Code of 0
	// then becomes 1.
	Err error
}

func (e *ExitError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

func (e *ExitError) Unwrap() error { return e.Err }

// ErrNotImplemented is returned by UnimplementedHandler.
var ErrNotImplemented = errors.New("not implemented")

// UsageError is a bad command line: a missing or extra argument, an
// unknown flag, or an invalid flag value. Its message names the command
// and what is wrong, in one line.
type UsageError struct {
	Command string // "create", "" for the root command
	Msg     string
}

func (e *UsageError) Error() string {
	if e.Command == "" {
		return e.Msg
	}
	return e.Command + ": " + e.Msg
}

// Execute runs the command line args (without the program name, i.e.
// os.Args[1:]) against h with the process' standard streams. It prints a
// failing command's error as one line "gocontainer: <error>" on stderr and
// returns the exit code: 0 on success, ExitError.Code for an *ExitError,
// 1 for any other error.
func Execute(args []string, h Handler, v VersionInfo) int {
	return ExecuteContext(context.Background(), args, h, v, os.Stdin, os.Stdout, os.Stderr)
}

// ExecuteContext is Execute with an explicit context and streams.
func ExecuteContext(ctx context.Context, args []string, h Handler, v VersionInfo, stdin io.Reader, stdout, stderr io.Writer) int {
	root, g := newRoot(h, v, args)
	if name := commandName(root.PersistentFlags(), args); name != "" && !cobraBuiltin(name) && !hasSubcommand(root, name) {
		// cobra would print the root's help for "nosuch -h" and exit 0;
		// runc fails, and scripts probing for a subcommand rely on it.
		fmt.Fprintf(stderr, "%s: unknown command %q (see '%s --help')\n", ProgramName, name, ProgramName)
		return 1
	}
	root.SetArgs(normalizeLongFlags(root, args))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) && exit.Err == nil {
		return exit.Code
	}
	if el, ok := h.(ErrorLogger); ok {
		el.LogError(g, err)
	}
	// One line: a wrapped error from deep down may carry newlines (stderr
	// of a hook, for example); callers parse the first line only.
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
	fmt.Fprintf(stderr, "%s: %s\n", ProgramName, msg)
	// An error that was printed never exits 0.
	if exit != nil && exit.Code != 0 {
		return exit.Code
	}
	return 1
}

// NewRootCommand builds the root command with every subcommand bound to h.
// Each call returns a fresh tree with its own option structs. Output goes to
// the cobra command's streams (cmd.SetOut and friends), which are also
// handed to h through GlobalOptions.
func NewRootCommand(h Handler, v VersionInfo) *cobra.Command {
	root, _ := newRoot(h, v, nil)
	return root
}

// newRoot builds the root command for the command line args. When args
// name one of the subcommands, that is the only subcommand added: building
// all of them and their ~150 flags is about a third of what a short-lived
// command such as start or delete spends after the Go runtime has started,
// and every container pays for three of them (create, start, delete).
// Help, an unknown name or nil args get every subcommand.
func newRoot(h Handler, v VersionInfo, args []string) (*cobra.Command, *GlobalOptions) {
	g := &GlobalOptions{}
	root := &cobra.Command{
		Use:   ProgramName,
		Short: "Open Container Initiative runtime",
		Long: ProgramName + ` is an OCI runtime: it creates and runs containers from OCI bundles
(a directory with config.json and a root filesystem), with runc's command line.

To run a container from the bundle in the current directory:

    ` + ProgramName + ` run [ -b bundle ] <container-id>`,
		Version:       FormatVersion(v),
		SilenceUsage:  true,
		SilenceErrors: true,
		// Our own completion command (completion.go): cobra's would add
		// powershell and its own help texts.
		CompletionOptions:  cobra.CompletionOptions{DisableDefaultCmd: true},
		DisableSuggestions: true,
		// Without subcommand: print help, like runc.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &UsageError{Msg: fmt.Sprintf("unknown command %q (see '%s --help')", args[0], ProgramName)}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &UsageError{Command: subName(cmd), Msg: fmt.Sprintf("%v (see '%s --help')", err, cmd.CommandPath())}
	})

	defRoot := DefaultRoot
	if dr, ok := h.(DefaultRooter); ok {
		if r := dr.DefaultRoot(); r != "" {
			defRoot = r
		}
	}
	pf := root.PersistentFlags()
	pf.BoolVar(&g.Debug, "debug", false, "enable debug logging")
	pf.StringVar(&g.Log, "log", "", "write the runtime's own log to this file (default stderr)")
	pf.StringVar(&g.LogFormat, "log-format", "text", "log format: 'text' or 'json'")
	pf.StringVar(&g.LogLevel, "log-level", "", "log level: debug, info, warn or error (wins over --debug)")
	pf.StringVar(&g.Root, "root", defRoot, "directory holding container state (should be on tmpfs)")
	pf.StringVar(&g.Criu, "criu", "", "obsolete, ignored: criu is looked up on $PATH")
	_ = pf.MarkHidden("criu")
	pf.BoolVar(&g.SystemdCgroup, "systemd-cgroup", false, `use the systemd cgroup driver; cgroupsPath must then be "slice:prefix:name", e.g. "system.slice:gocontainer:1234"`)
	pf.StringVar(&g.Rootless, "rootless", RootlessAuto, "ignore cgroup permission errors: 'true', 'false' or 'auto'")

	c := &commands{h: h, g: g}
	all := []struct {
		name string
		mk   func() *cobra.Command
	}{
		{"checkpoint", c.checkpoint}, {"create", c.create}, {"delete", c.delete},
		{"events", c.events}, {"exec", c.exec}, {"kill", c.kill}, {"list", c.list},
		{"pause", c.pause}, {"ps", c.ps}, {"restore", c.restore}, {"resume", c.resume},
		{"run", c.run}, {"spec", c.spec}, {"start", c.start}, {"state", c.state},
		{"update", c.update}, {"features", c.features}, {"completion", c.completion},
	}
	// completion describes the whole tree.
	if name := commandName(pf, args); name != "" && name != "completion" {
		for _, sub := range all {
			if sub.name == name {
				root.AddCommand(sub.mk())
				return root, g
			}
		}
	}
	for _, sub := range all {
		root.AddCommand(sub.mk())
	}
	return root, g
}

// commandName is the subcommand args name: the first argument that is
// neither a global flag (in globals) nor such a flag's value; "" when
// there is none.
func commandName(globals *pflag.FlagSet, args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return ""
		case len(a) < 2 || a[0] != '-':
			return a
		}
		// runc's single-dash long flags ("-root x") count too.
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if f := globals.Lookup(name); f != nil && f.NoOptDefVal == "" && !hasValue {
			i++
		}
	}
	return ""
}

// cobraBuiltin reports whether name is a command cobra adds itself: help,
// and the hidden commands the completion scripts call.
func cobraBuiltin(name string) bool {
	return name == "help" || name == cobra.ShellCompRequestCmd || name == cobra.ShellCompNoDescRequestCmd
}

// hasSubcommand reports whether root has a subcommand called name (or
// with that alias).
func hasSubcommand(root *cobra.Command, name string) bool {
	for _, c := range root.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return true
		}
	}
	return false
}

// FormatVersion renders v in runc's shape: "runc version", "commit:" and
// "spec:" lines, then go and libseccomp. go-runc's Version() (containerd's
// shim, nerdctl) only accepts a first line starting "runc version ", so the
// name gocontainer goes into the free-form commit line, which Docker and
// Podman show as it is.
func FormatVersion(v VersionInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "runc version %s", v.Version)
	c := v.Commit
	if c == "" {
		c = v.Version
	}
	fmt.Fprintf(&b, "\ncommit: %s-%s", ProgramName, c)
	fmt.Fprintf(&b, "\nspec: %s", v.Spec)
	goV := v.Go
	if goV == "" {
		goV = runtime.Version()
	}
	fmt.Fprintf(&b, "\ngo: %s", goV)
	if v.Libseccomp != "" {
		fmt.Fprintf(&b, "\nlibseccomp: %s", v.Libseccomp)
	}
	return b.String()
}

// subName is the subcommand's name, or "" for the root command.
func subName(cmd *cobra.Command) string {
	if cmd.HasParent() {
		return cmd.Name()
	}
	return ""
}

// validateGlobals checks the enum-valued global flags and records whether
// --root was given.
func validateGlobals(cmd *cobra.Command, g *GlobalOptions) error {
	switch g.LogFormat {
	case "text", "json":
	default:
		return &UsageError{Msg: fmt.Sprintf("invalid --log-format %q: want text or json", g.LogFormat)}
	}
	switch g.LogLevel {
	case "", "debug", "info", "warn", "warning", "error":
	default:
		return &UsageError{Msg: fmt.Sprintf("invalid --log-level %q: want debug, info, warn or error", g.LogLevel)}
	}
	switch g.Rootless {
	case RootlessAuto, RootlessTrue, RootlessFalse:
	default:
		return &UsageError{Msg: fmt.Sprintf("invalid --rootless %q: want true, false or auto", g.Rootless)}
	}
	if g.Root == "" {
		return &UsageError{Msg: "invalid --root: empty path"}
	}
	if f := cmd.Flags().Lookup("root"); f != nil {
		g.RootSet = f.Changed
	}
	return nil
}

// absPath makes a path absolute against the current directory; "" stays
// "" unless def is true, then it becomes the current directory.
func absPath(flag, p string, def bool) (string, error) {
	if p == "" && !def {
		return "", nil
	}
	if p == "" {
		p = "."
	}
	a, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("resolve --%s %q: %w", flag, p, err)
	}
	return a, nil
}

// changed reports whether the named flag was given on the command line.
func changed(fs *pflag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	return f != nil && f.Changed
}
