package ocicli

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commands builds the subcommands. Each builder allocates its option
// struct, binds the flags to it, and hands it to the Handler after the
// positional arguments and flag values are checked.
type commands struct {
	h Handler
	g *GlobalOptions
}

const idArg = "<container-id>"

// runE wraps a subcommand body with the global flag checks.
func (c *commands) runE(body func(ctx context.Context, cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := validateGlobals(cmd, c.g); err != nil {
			return err
		}
		c.g.Stdin, c.g.Stdout, c.g.Stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
		return body(cmd.Context(), cmd, args)
	}
}

// posArgs checks the number of positional arguments; max < 0 means no
// limit. needID says the first one is a container id, which must not be
// empty.
func posArgs(min, max int, needID bool) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		usage := fmt.Sprintf("(usage: %s)", cmd.UseLine())
		if len(args) < min {
			what := "argument"
			if needID && len(args) == 0 {
				what = idArg
			}
			return &UsageError{Command: cmd.Name(), Msg: fmt.Sprintf("missing %s %s", what, usage)}
		}
		if max >= 0 && len(args) > max {
			return &UsageError{Command: cmd.Name(), Msg: fmt.Sprintf("unexpected argument %q %s", args[max], usage)}
		}
		if needID && args[0] == "" {
			return &UsageError{Command: cmd.Name(), Msg: fmt.Sprintf("empty %s %s", idArg, usage)}
		}
		return nil
	}
}

func usageErr(cmd *cobra.Command, format string, a ...any) error {
	return &UsageError{Command: cmd.Name(), Msg: fmt.Sprintf(format, a...)}
}

func addCreateFlags(fs *pflag.FlagSet, o *CreateOptions) {
	fs.StringVarP(&o.Bundle, "bundle", "b", "", "path to the bundle directory (default: the current directory)")
	fs.StringVar(&o.ConsoleSocket, "console-socket", "", "path of an AF_UNIX socket that receives the master end of the console's pseudo-terminal")
	fs.StringVar(&o.PidfdSocket, "pidfd-socket", "", "path of an AF_UNIX socket that receives a pidfd of the init process")
	fs.StringVar(&o.PidFile, "pid-file", "", "file to write the init process id to")
	fs.BoolVar(&o.NoPivot, "no-pivot", false, "do not use pivot_root to jail the process in the rootfs (needed when the rootfs is on a ramdisk)")
	fs.BoolVar(&o.NoNewKeyring, "no-new-keyring", false, "do not create a new session keyring; the container inherits the caller's")
	fs.IntVar(&o.PreserveFDs, "preserve-fds", 0, "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)")
}

func finishCreate(cmd *cobra.Command, o *CreateOptions, args []string) error {
	o.ID = args[0]
	var err error
	if o.Bundle, err = absPath("bundle", o.Bundle, true); err != nil {
		return err
	}
	// runc makes the pid file absolute before it changes into the bundle,
	// so a relative path means "relative to the caller's cwd".
	if o.PidFile, err = absPath("pid-file", o.PidFile, false); err != nil {
		return err
	}
	if o.PreserveFDs < 0 {
		return usageErr(cmd, "invalid --preserve-fds %d: must not be negative", o.PreserveFDs)
	}
	return nil
}

func (c *commands) create() *cobra.Command {
	o := &CreateOptions{}
	var detach bool
	cmd := &cobra.Command{
		Use:   "create [flags] " + idArg,
		Short: "create a container",
		Long: `Create a container from the bundle (a directory with config.json and a root
filesystem). The container's process is set up and waits; "start" runs it.`,
		Args: posArgs(1, 1, true),
	}
	addCreateFlags(cmd.Flags(), o)
	// go-runc sends --detach to create when its CreateOpts.Detach is set;
	// create always returns once the container is created, so it is a no-op.
	cmd.Flags().BoolVarP(&detach, "detach", "d", false, "accepted for compatibility; create always detaches")
	_ = cmd.Flags().MarkHidden("detach")
	cmd.RunE = c.runE(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if err := finishCreate(cmd, o, args); err != nil {
			return err
		}
		return c.h.Create(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) run() *cobra.Command {
	o := &RunOptions{}
	cmd := &cobra.Command{
		Use:   "run [flags] " + idArg,
		Short: "create and run a container",
		Long: `Create a container from the bundle and start it. Without --detach the command
waits for the container's process and exits with its status.`,
		Args: posArgs(1, 1, true),
	}
	fs := cmd.Flags()
	addCreateFlags(fs, &o.CreateOptions)
	fs.BoolVarP(&o.Detach, "detach", "d", false, "detach from the container's process")
	fs.BoolVar(&o.Keep, "keep", false, "do not delete the container after it exits")
	fs.BoolVar(&o.NoSubreaper, "no-subreaper", false, "do not make the runtime a subreaper for re-parented processes")
	cmd.RunE = c.runE(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if err := finishCreate(cmd, &o.CreateOptions, args); err != nil {
			return err
		}
		return c.h.Run(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) start() *cobra.Command {
	o := &StartOptions{}
	cmd := &cobra.Command{
		Use:   "start " + idArg,
		Short: "run the user process of a created container",
		Args:  posArgs(1, 1, true),
	}
	cmd.RunE = c.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		o.ID = args[0]
		return c.h.Start(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) state() *cobra.Command {
	o := &StateOptions{}
	cmd := &cobra.Command{
		Use:   "state " + idArg,
		Short: "print the state of a container as JSON",
		Args:  posArgs(1, 1, true),
	}
	cmd.RunE = c.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		o.ID = args[0]
		return c.h.State(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) pause() *cobra.Command {
	o := &PauseOptions{}
	cmd := &cobra.Command{
		Use:   "pause " + idArg,
		Short: "suspend all processes of a container",
		Args:  posArgs(1, 1, true),
	}
	cmd.RunE = c.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		o.ID = args[0]
		return c.h.Pause(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) resume() *cobra.Command {
	o := &ResumeOptions{}
	cmd := &cobra.Command{
		Use:   "resume " + idArg,
		Short: "resume all processes of a paused container",
		Args:  posArgs(1, 1, true),
	}
	cmd.RunE = c.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		o.ID = args[0]
		return c.h.Resume(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) kill() *cobra.Command {
	o := &KillOptions{}
	cmd := &cobra.Command{
		Use:   "kill [flags] " + idArg + " [signal]",
		Short: "send a signal (default SIGTERM) to the container's init process",
		Long: `Send a signal to the container's init process. The signal is a number or a
name with or without SIG, e.g. "kill mycontainer KILL".`,
		Args:        posArgs(1, 2, true),
		Annotations: map[string]string{annotationStopAtID: "true"},
	}
	// Flags stop at the container id, like runc: nothing after it is a flag.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().BoolVarP(&o.All, "all", "a", false, "send the signal to all processes of the container (obsolete)")
	_ = cmd.Flags().MarkHidden("all")
	cmd.RunE = c.runE(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		o.ID = args[0]
		o.Signal = "SIGTERM"
		if len(args) > 1 {
			o.Signal = args[1]
		}
		sig, err := ParseSignal(o.Signal)
		if err != nil {
			return usageErr(cmd, "%v", err)
		}
		o.SignalNum = sig
		return c.h.Kill(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) delete() *cobra.Command {
	o := &DeleteOptions{}
	cmd := &cobra.Command{
		Use:   "delete [flags] " + idArg,
		Short: "delete a container and the resources it holds",
		Args:  posArgs(1, 1, true),
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "kill the container with SIGKILL first if it is still running")
	cmd.RunE = c.runE(func(ctx context.Context, _ *cobra.Command, args []string) error {
		o.ID = args[0]
		return c.h.Delete(ctx, c.g, o)
	})
	return cmd
}

func checkFormat(cmd *cobra.Command, f string) error {
	switch f {
	case FormatTable, FormatJSON:
		return nil
	}
	return usageErr(cmd, "invalid --format %q: want table or json", f)
}

func (c *commands) list() *cobra.Command {
	o := &ListOptions{}
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "list the containers under --root",
		Args:  posArgs(0, 0, false),
	}
	cmd.Flags().StringVarP(&o.Format, "format", "f", FormatTable, "output format: table or json")
	cmd.Flags().BoolVarP(&o.Quiet, "quiet", "q", false, "print only container ids")
	cmd.RunE = c.runE(func(ctx context.Context, cmd *cobra.Command, _ []string) error {
		if err := checkFormat(cmd, o.Format); err != nil {
			return err
		}
		return c.h.List(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) ps() *cobra.Command {
	o := &PsOptions{}
	cmd := &cobra.Command{
		Use:         "ps [flags] " + idArg + " [ps options]",
		Short:       "list the processes running in a container",
		Args:        posArgs(1, -1, true),
		Annotations: map[string]string{annotationStopAtID: "true"},
	}
	// "ps ID -ef": everything after the id goes to ps(1).
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVarP(&o.Format, "format", "f", FormatTable, "output format: table or json")
	cmd.RunE = c.runE(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if err := checkFormat(cmd, o.Format); err != nil {
			return err
		}
		o.ID = args[0]
		o.PsArgs = append([]string(nil), args[1:]...)
		return c.h.Ps(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) events() *cobra.Command {
	o := &EventsOptions{}
	cmd := &cobra.Command{
		Use:   "events [flags] " + idArg,
		Short: "print container events (OOM notifications, resource usage statistics)",
		Args:  posArgs(1, 1, true),
	}
	cmd.Flags().DurationVar(&o.Interval, "interval", 5*time.Second, "statistics collection interval")
	cmd.Flags().BoolVar(&o.Stats, "stats", false, "print the container's statistics once and exit")
	cmd.RunE = c.runE(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		if o.Interval <= 0 {
			return usageErr(cmd, "invalid --interval %s: must be greater than 0", o.Interval)
		}
		o.ID = args[0]
		return c.h.Events(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) spec() *cobra.Command {
	o := &SpecOptions{}
	cmd := &cobra.Command{
		Use:   "spec [flags]",
		Short: "write a starter config.json into the bundle",
		Long: `Write a starter config.json into the bundle directory. It runs "sh" in a
read-only "rootfs"; edit it for your image. --rootless writes a spec for a
container started by an unprivileged user.`,
		Args: posArgs(0, 0, false),
	}
	cmd.Flags().StringVarP(&o.Bundle, "bundle", "b", "", "path to the bundle directory (default: the current directory)")
	cmd.Flags().BoolVar(&o.Rootless, "rootless", false, "generate a configuration for a rootless container")
	cmd.RunE = c.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		var err error
		if o.Bundle, err = absPath("bundle", o.Bundle, true); err != nil {
			return err
		}
		return c.h.Spec(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) features() *cobra.Command {
	o := &FeaturesOptions{}
	cmd := &cobra.Command{
		Use:   "features",
		Short: "print the features of this runtime as JSON (runtime-spec features.md)",
		Args:  posArgs(0, 0, false),
	}
	cmd.RunE = c.runE(func(ctx context.Context, _ *cobra.Command, _ []string) error {
		return c.h.Features(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) exec() *cobra.Command {
	o := &ExecOptions{}
	var gids []string
	var noNewPrivs bool
	cmd := &cobra.Command{
		Use:   "exec [flags] " + idArg + " <command> [args...]",
		Short: "run a new process inside a container",
		Long: `Run a new process inside a running container, either a command given on the
command line (with the container's process settings and the flags below), or
the process described by a process.json file (--process). Without --detach
the command waits for the process and exits with its status.

  exec [flags] <container-id> <command> [args...]
  exec [flags] -p process.json <container-id>`,
		Args:        posArgs(1, -1, true),
		Annotations: map[string]string{annotationStopAtID: "true"},
	}
	fs := cmd.Flags()
	// Flags stop at the container id so the command's own flags pass
	// through ("exec ID ls -l").
	fs.SetInterspersed(false)
	fs.StringVar(&o.ConsoleSocket, "console-socket", "", "path of an AF_UNIX socket that receives the master end of the console's pseudo-terminal")
	fs.StringVar(&o.PidfdSocket, "pidfd-socket", "", "path of an AF_UNIX socket that receives a pidfd of the exec process")
	fs.StringVar(&o.Cwd, "cwd", "", "working directory in the container")
	// StringArray, not StringSlice: a comma inside a value is literal, as
	// with runc's DisableSliceFlagSeparator (env values and cgroup
	// controller lists contain commas).
	fs.StringArrayVarP(&o.Env, "env", "e", nil, "set an environment variable (KEY=VALUE, repeatable)")
	fs.BoolVarP(&o.TTY, "tty", "t", false, "allocate a pseudo-terminal")
	fs.StringVarP(&o.User, "user", "u", "", "user id (format: <uid>[:<gid>])")
	fs.StringArrayVarP(&gids, "additional-gids", "g", nil, "additional group id (repeatable)")
	fs.StringVarP(&o.Process, "process", "p", "", "path to a process.json")
	fs.BoolVarP(&o.Detach, "detach", "d", false, "detach from the process")
	fs.StringVar(&o.PidFile, "pid-file", "", "file to write the process id to")
	fs.StringVar(&o.ProcessLabel, "process-label", "", "SELinux label of the process")
	fs.StringVar(&o.AppArmor, "apparmor", "", "AppArmor profile of the process")
	fs.BoolVar(&noNewPrivs, "no-new-privs", false, "set no_new_privs for the process")
	fs.StringArrayVarP(&o.Caps, "cap", "c", nil, "add a capability to the bounding, effective and permitted sets (repeatable)")
	fs.IntVar(&o.PreserveFDs, "preserve-fds", 0, "pass N additional file descriptors to the process (stdio + $LISTEN_FDS + N in total)")
	fs.StringArrayVar(&o.Cgroups, "cgroup", nil, "run the process in an existing sub-cgroup: [<controller>[,<controller>]:]<path> (repeatable)")
	fs.BoolVar(&o.IgnorePaused, "ignore-paused", false, "allow exec in a paused container")
	cmd.RunE = c.runE(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		o.ID = args[0]
		rest := args[1:]
		// "exec ID -- cmd": with flag parsing stopped at the id, the "--"
		// reaches us; nobody means a program called "--".
		if len(rest) > 0 && rest[0] == "--" {
			rest = rest[1:]
		}
		o.Args = append([]string(nil), rest...)
		if len(o.Args) == 0 && o.Process == "" {
			return usageErr(cmd, "missing <command> (or --process) (usage: %s)", cmd.UseLine())
		}
		if o.User != "" {
			uid, gid, err := parseUser(o.User)
			if err != nil {
				return usageErr(cmd, "%v", err)
			}
			o.UID, o.GID = &uid, gid
		}
		o.AdditionalGids = nil
		for _, s := range gids {
			g, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				return usageErr(cmd, "invalid --additional-gids %q: want a group id in 0-4294967295", s)
			}
			o.AdditionalGids = append(o.AdditionalGids, uint32(g))
		}
		if changed(fs, "no-new-privs") {
			v := noNewPrivs
			o.NoNewPrivs = &v
		}
		if o.PreserveFDs < 0 {
			return usageErr(cmd, "invalid --preserve-fds %d: must not be negative", o.PreserveFDs)
		}
		paths, err := ParseSubCgroupPaths(o.Cgroups)
		if err != nil {
			return usageErr(cmd, "%v", err)
		}
		o.SubCgroupPaths = paths
		if o.PidFile, err = absPath("pid-file", o.PidFile, false); err != nil {
			return err
		}
		return c.h.Exec(ctx, c.g, o)
	})
	return cmd
}

var manageCgroupsModes = map[string]bool{"": true, "soft": true, "full": true, "strict": true, "ignore": true}

func checkManageCgroupsMode(cmd *cobra.Command, m string) error {
	if manageCgroupsModes[m] {
		return nil
	}
	return usageErr(cmd, "invalid --manage-cgroups-mode %q: want soft, full, strict or ignore", m)
}

func (c *commands) checkpoint() *cobra.Command {
	o := &CheckpointOptions{}
	cmd := &cobra.Command{
		Use:   "checkpoint [flags] " + idArg,
		Short: "checkpoint a running container with CRIU",
		Args:  posArgs(1, 1, true),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.ImagePath, "image-path", "", "directory for the CRIU image files")
	fs.StringVar(&o.WorkPath, "work-path", "", "directory for CRIU work files and logs")
	fs.StringVar(&o.ParentPath, "parent-path", "", "directory of the previous pre-dump images, relative to --image-path")
	fs.BoolVar(&o.LeaveRunning, "leave-running", false, "leave the process running after the checkpoint")
	fs.BoolVar(&o.TCPEstablished, "tcp-established", false, "allow open TCP connections")
	fs.BoolVar(&o.TCPSkipInFlight, "tcp-skip-in-flight", false, "skip in-flight TCP connections")
	fs.BoolVar(&o.LinkRemap, "link-remap", false, "allow linking unlinked files back when possible")
	fs.BoolVar(&o.ExtUnixSk, "ext-unix-sk", false, "allow external unix sockets")
	fs.BoolVar(&o.ShellJob, "shell-job", false, "allow shell jobs")
	fs.BoolVar(&o.LazyPages, "lazy-pages", false, "use userfaultfd to restore memory pages lazily")
	fs.IntVar(&o.StatusFd, "status-fd", -1, "fd CRIU writes \\0 to once lazy-pages is ready")
	fs.StringVar(&o.PageServer, "page-server", "", "ADDRESS:PORT of the page server")
	fs.BoolVar(&o.FileLocks, "file-locks", false, "handle file locks")
	fs.BoolVar(&o.PreDump, "pre-dump", false, "dump only the memory and leave the container running")
	fs.StringVar(&o.ManageCgroupsMode, "manage-cgroups-mode", "", "cgroups mode: soft (default), full, strict or ignore")
	fs.StringArrayVar(&o.EmptyNs, "empty-ns", nil, "create this namespace but do not restore its properties (repeatable)")
	fs.BoolVar(&o.AutoDedup, "auto-dedup", false, "deduplicate memory images")
	cmd.RunE = c.runE(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		o.ID = args[0]
		if err := checkManageCgroupsMode(cmd, o.ManageCgroupsMode); err != nil {
			return err
		}
		if o.PageServer != "" {
			host, port, err := net.SplitHostPort(o.PageServer)
			if err != nil || host == "" {
				return usageErr(cmd, "invalid --page-server %q: want ADDRESS:PORT", o.PageServer)
			}
			if _, err := strconv.ParseUint(port, 10, 16); err != nil {
				return usageErr(cmd, "invalid --page-server %q: port %q is not a number in 0-65535", o.PageServer, port)
			}
		}
		return c.h.Checkpoint(ctx, c.g, o)
	})
	return cmd
}

func (c *commands) restore() *cobra.Command {
	o := &RestoreOptions{}
	cmd := &cobra.Command{
		Use:   "restore [flags] " + idArg,
		Short: "restore a container from a CRIU checkpoint",
		Args:  posArgs(1, 1, true),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.ConsoleSocket, "console-socket", "", "path of an AF_UNIX socket that receives the master end of the console's pseudo-terminal")
	fs.StringVar(&o.ImagePath, "image-path", "", "directory of the CRIU image files")
	fs.StringVar(&o.WorkPath, "work-path", "", "directory for CRIU work files and logs")
	fs.BoolVar(&o.TCPEstablished, "tcp-established", false, "allow open TCP connections")
	fs.BoolVar(&o.ExtUnixSk, "ext-unix-sk", false, "allow external unix sockets")
	fs.BoolVar(&o.ShellJob, "shell-job", false, "allow shell jobs")
	fs.BoolVar(&o.FileLocks, "file-locks", false, "handle file locks")
	fs.StringVar(&o.ManageCgroupsMode, "manage-cgroups-mode", "", "cgroups mode: soft (default), full, strict or ignore")
	fs.StringVarP(&o.Bundle, "bundle", "b", "", "path to the bundle directory (default: the current directory)")
	fs.BoolVarP(&o.Detach, "detach", "d", false, "detach from the container's process")
	fs.StringVar(&o.PidFile, "pid-file", "", "file to write the process id to")
	fs.BoolVar(&o.NoSubreaper, "no-subreaper", false, "do not make the runtime a subreaper for re-parented processes")
	fs.BoolVar(&o.NoPivot, "no-pivot", false, "do not use pivot_root to jail the process in the rootfs")
	fs.StringArrayVar(&o.EmptyNs, "empty-ns", nil, "create this namespace but do not restore its properties (repeatable)")
	fs.BoolVar(&o.AutoDedup, "auto-dedup", false, "deduplicate memory images")
	fs.BoolVar(&o.LazyPages, "lazy-pages", false, "use userfaultfd to restore memory pages lazily")
	fs.StringVar(&o.LsmProfile, "lsm-profile", "", "LSM profile for the restored process, TYPE:NAME")
	fs.StringVar(&o.LsmMountContext, "lsm-mount-context", "", "LSM mount context for the restore")
	cmd.RunE = c.runE(func(ctx context.Context, cmd *cobra.Command, args []string) error {
		o.ID = args[0]
		if err := checkManageCgroupsMode(cmd, o.ManageCgroupsMode); err != nil {
			return err
		}
		var err error
		if o.Bundle, err = absPath("bundle", o.Bundle, true); err != nil {
			return err
		}
		if o.PidFile, err = absPath("pid-file", o.PidFile, false); err != nil {
			return err
		}
		return c.h.Restore(ctx, c.g, o)
	})
	return cmd
}
