package libcontainer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// initStage is a C stage the runtime started, for create or for exec:
// cmd is stage 0, pid the process it reported as the one that carries on
// (the container init, or the exec'd process). Both paths read the
// stage's answer, explain its death and clean up the same way.
type initStage struct {
	name string // "container init" or "exec init", for errors
	cmd  *exec.Cmd
	// pid is set once the C stage reports it; 0 before that and once
	// reaped here, so nothing ever signals a reused pid.
	pid int
}

// reported takes the C stage's last bootstrap answer: "pid N" (stage 0
// is reaped when it forked N and exited) or "error STEP: REASON". during
// names the step for errors ("namespace setup").
func (s *initStage) reported(msg []byte, stage0 int, during string) error {
	m := string(msg)
	switch {
	case strings.HasPrefix(m, "pid "):
		pid, err := strconv.Atoi(m[4:])
		if err != nil || pid <= 0 {
			return fmt.Errorf("%s reported a bad pid %q", s.name, m)
		}
		s.pid = pid
		if pid != stage0 {
			if err := s.cmd.Wait(); err != nil {
				return fmt.Errorf("%s (%s): %w", s.name, during, err)
			}
		}
		return nil
	case strings.HasPrefix(m, "error "):
		s.waitStage0()
		return fmt.Errorf("%s: %s", s.name, m[6:])
	}
	return fmt.Errorf("%s sent an unexpected message %q", s.name, m)
}

// died turns a broken channel into the most useful error: if the stage
// died, how it died.
func (s *initStage) died(err error) error {
	if !errors.Is(err, io.EOF) && !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.ECONNRESET) {
		return err
	}
	if s.pid != 0 && s.pid != s.cmd.Process.Pid {
		var ws unix.WaitStatus
		if _, werr := unix.Wait4(s.pid, &ws, 0, nil); werr == nil {
			s.pid = 0
			return fmt.Errorf("%s exited unexpectedly (%s)", s.name, describeWait(ws))
		}
	}
	if ps := s.waitStage0(); ps != nil {
		return fmt.Errorf("%s exited unexpectedly (%s)", s.name, ps.String())
	}
	return fmt.Errorf("%s exited unexpectedly: %w", s.name, err)
}

// waitStage0 reaps stage 0 if it was started and not reaped yet.
func (s *initStage) waitStage0() *os.ProcessState {
	if s.cmd == nil || s.cmd.Process == nil || s.cmd.ProcessState != nil {
		return nil
	}
	_ = s.cmd.Wait()
	return s.cmd.ProcessState
}

// kill kills and reaps whatever the stage started.
func (s *initStage) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	if s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
	}
	if s.pid != 0 && s.pid != s.cmd.Process.Pid {
		_ = unix.Kill(s.pid, unix.SIGKILL)
		var ws unix.WaitStatus
		_, _ = unix.Wait4(s.pid, &ws, 0, nil)
		s.pid = 0
	}
	s.waitStage0()
}
