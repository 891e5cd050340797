package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gocontainer/gocontainer/libcontainer/internal/channel"
	lsys "github.com/gocontainer/gocontainer/libcontainer/syscall"
	"github.com/gocontainer/gocontainer/libseccomp"
)

// execInit is the Go half of an exec'd process's init (Init dispatches
// here on a TypeExecConfig message). The C stage has already joined the
// container's namespaces (and forked into its pid namespace), the runtime
// has put it into the container's cgroups, and the process is
// non-dumpable. What is left is the process setup create's init does too:
// rlimits, no_new_privileges, seccomp, capabilities, user, cwd, then
// execve. It returns only on failure, after reporting it to the runtime.
func execInit(conn *channel.Conn, m *channel.Message, opts InitOptions) int {
	var cfg execConfig
	if err := json.Unmarshal(m.Payload, &cfg); err != nil {
		_ = conn.SendError(channel.NewInitError("decode exec config", err))
		return 1
	}
	// Only execve needed the sealed binary; the container must never see
	// a handle on it.
	if cfg.ExeFD > 2 {
		unix.Close(cfg.ExeFD)
	}
	if cfg.Process == nil || len(cfg.Process.Args) == 0 {
		_ = conn.SendError(channel.NewInitError("exec config", errors.New("no process to execute")))
		return 1
	}
	in := &initProcess{
		cfg: &initConfig{
			ID: cfg.ID, PreserveFDs: cfg.PreserveFDs, LogLevel: cfg.LogLevel, ConsoleFD: cfg.ConsoleFD,
			// Only the process: what linux.* holds for the init (sysctls,
			// personality, memory policy, ...) is the container's and was
			// applied at create; an exec'd process shares or inherits it.
			spec: &specs.Spec{Process: cfg.Process},
		},
		conn: conn, opts: opts, log: initLogger(conn, cfg.LogLevel), sys: lsys.NewLinux(),
	}
	err := in.runExec(cfg.Seccomp)
	var ie *channel.InitError
	if !errors.As(err, &ie) {
		ie = channel.NewInitError("exec", err)
	}
	_ = conn.SendError(ie)
	return 1
}

// runExec sets the process up and executes it; it returns only on
// failure. The socket to the runtime is close-on-exec: its closing tells
// the runtime the process runs.
func (in *initProcess) runExec(seccomp json.RawMessage) error {
	proc := in.cfg.spec.Process

	// The pty comes from the container's devpts (the C stage joined its
	// mount namespace) before the user switch and seccomp below; the
	// container's /dev/console stays the init's.
	if in.cfg.ConsoleFD > 0 {
		if err := step("terminal", func() error { return in.setupConsole(false) }); err != nil {
			return err
		}
	}

	if len(seccomp) > 0 && string(seccomp) != "null" {
		var sc specs.LinuxSeccomp
		if err := json.Unmarshal(seccomp, &sc); err != nil {
			return channel.NewInitError("decode linux.seccomp", err)
		}
		if err := step("seccomp", func() error {
			var err error
			in.seccomp, err = libseccomp.NewFilter(&sc, in.log)
			return err
		}); err != nil {
			return err
		}
		defer in.seccomp.Release()
	}
	if err := step("chown stdio", func() error { return chownStdio(proc.User.UID) }); err != nil {
		return err
	}
	path, err := in.prepareProcess(proc)
	if err != nil {
		return err
	}
	// Ready, then the socket to the runtime closes at the execve
	// (close-on-exec): the runtime knows the process runs. Without the
	// ready first, an init killed before the execve would look the same.
	if err := in.conn.Send(channel.TypeReady, nil); err != nil {
		return channel.NewInitError("report ready", err)
	}
	ie := in.execProcess(proc, path)
	if ie.Step == "exec" {
		ie.Msg = fmt.Sprintf("%q: %s", path, ie.Msg)
	}
	return ie
}
