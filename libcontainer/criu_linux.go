package libcontainer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	criurpc "github.com/checkpoint-restore/go-criu/v8/rpc"
	"golang.org/x/sys/unix"
)

// ErrCriu marks failures of CRIU itself (missing, too old, or a failed
// dump or restore); the message carries the detail.
var ErrCriu = errors.New("criu")

// criuMinVersion is the oldest CRIU checkpoint and restore accept: 3.16
// brought the LSM options and external PID namespaces runc relies on.
// Kernels 6.16 and later need 4.2 (see criuNeeded).
const criuMinVersion = 31600

// criuNeeded is the CRIU version this kernel needs, as major*10000 +
// minor*100. CRIU older than 4.1 fails to dump on recent kernels ("vdso:
// Unexpected rt vDSO area bounds"), and the socket changes of kernel 6.16
// need 4.2.
func criuNeeded() int {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return criuMinVersion
	}
	var major, minor int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor); err != nil {
		return criuMinVersion
	}
	if major > 6 || (major == 6 && minor >= 16) {
		return 40200
	}
	return criuMinVersion
}

func formatCriuVersion(v int) string {
	s := fmt.Sprintf("%d.%d", v/10000, v/100%100)
	if v%100 != 0 {
		s += fmt.Sprintf(".%d", v%100)
	}
	return s
}

// parseCriuVersion reads "Version: 4.2.1" (criu --version's first line).
func parseCriuVersion(out string) (int, error) {
	for line := range strings.SplitSeq(out, "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "Version:")
		if !ok {
			continue
		}
		parts := strings.SplitN(strings.TrimSpace(v), ".", 3)
		n := 0
		for i, mul := range []int{10000, 100, 1} {
			if i >= len(parts) {
				break
			}
			// "4.2-rc1" style suffixes: only the leading digits count.
			digits := parts[i]
			if j := strings.IndexFunc(parts[i], func(r rune) bool { return r < '0' || r > '9' }); j >= 0 {
				digits = parts[i][:j]
			}
			x, err := strconv.Atoi(digits)
			if err != nil {
				return 0, fmt.Errorf("criu --version: bad version %q", strings.TrimSpace(v))
			}
			n += x * mul
		}
		return n, nil
	}
	return 0, fmt.Errorf("criu --version: no \"Version:\" line in %q", strings.TrimSpace(out))
}

// CriuBinary finds criu on PATH and checks that it is new enough for this
// kernel. It returns the path; the error names the version found and the
// one needed.
func CriuBinary() (string, error) {
	path, err := exec.LookPath("criu")
	if err != nil {
		return "", fmt.Errorf("%w: criu is not installed (not found in PATH; CRIU %s or newer is needed, see docs/checkpoint.md)", ErrCriu, formatCriuVersion(criuNeeded()))
	}
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%w: %s --version: %v", ErrCriu, path, err)
	}
	have, err := parseCriuVersion(string(out))
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrCriu, path, err)
	}
	if need := criuNeeded(); have < need {
		return "", fmt.Errorf("%w: %s is CRIU %s, this kernel needs CRIU %s or newer (see docs/checkpoint.md)", ErrCriu, path, formatCriuVersion(have), formatCriuVersion(need))
	}
	return path, nil
}

// criuMemTrack asks CRIU whether the kernel tracks dirty memory
// (soft-dirty page bits), which incremental pre-dumps use.
func criuMemTrack(path string, log *slog.Logger) (bool, error) {
	s, err := startCriu(path, nil, [3]*os.File{}, log)
	if err != nil {
		return false, err
	}
	defer s.close()
	resp, err := s.call(&criurpc.CriuReq{
		Type:     criurpc.CriuReqType_FEATURE_CHECK.Enum(),
		Features: &criurpc.CriuFeatures{MemTrack: new(true)},
	}, nil)
	if err != nil {
		return false, err
	}
	return resp.GetFeatures().GetMemTrack(), nil
}

// criuNotifier handles CRIU's notify messages ("post-restore",
// "setup-namespaces", ...). oob holds the message's ancillary data (the
// pty master of "orphan-pts-master" comes as SCM_RIGHTS).
type criuNotifier func(script string, pid int, oob []byte) error

// criuSwrk is one "criu swrk" service process, talked to over a
// SOCK_SEQPACKET socketpair with go-criu's RPC messages.
type criuSwrk struct {
	cmd    *exec.Cmd
	conn   *net.UnixConn
	log    *slog.Logger
	closed bool
}

// startCriu starts criu swrk. extra become the service's fds 4, 5, ...
// (fd 3 is its end of the socket); stdio are its (and so a restored
// tree's inherited) fds 0-2.
func startCriu(path string, extra []*os.File, stdio [3]*os.File, log *slog.Logger) (*criuSwrk, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socketpair", err)
	}
	client := os.NewFile(uintptr(fds[0]), "criu-client")
	server := os.NewFile(uintptr(fds[1]), "criu-server")
	defer server.Close()
	fc, err := net.FileConn(client)
	client.Close()
	if err != nil {
		return nil, fmt.Errorf("criu socket: %w", err)
	}
	cmd := exec.Command(path, "swrk", "3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio[0], stdio[1], stdio[2]
	cmd.ExtraFiles = append([]*os.File{server}, extra...)
	// CRIU must not die with a runtime thread (Pdeathsig would fire when
	// the starting OS thread exits); the socket's EOF ends it instead.
	if err := cmd.Start(); err != nil {
		fc.Close()
		return nil, fmt.Errorf("%w: start %s swrk: %v", ErrCriu, path, err)
	}
	log.Debug("criu swrk started", slog.Int("pid", cmd.Process.Pid), slog.String("path", path))
	return &criuSwrk{cmd: cmd, conn: fc.(*net.UnixConn), log: log}, nil
}

// pid is the criu service's pid.
func (s *criuSwrk) pid() int { return s.cmd.Process.Pid }

// call sends req and answers every notification until the final
// response, which it returns. A failed response becomes an error that
// names the request type and CRIU's errno.
func (s *criuSwrk) call(req *criurpc.CriuReq, notify criuNotifier) (*criurpc.CriuResp, error) {
	want := req.GetType()
	for {
		raw, err := req.MarshalVT()
		if err != nil {
			return nil, fmt.Errorf("encode criu request: %w", err)
		}
		if _, err := s.conn.Write(raw); err != nil {
			return nil, fmt.Errorf("%w: send %s request: %v", ErrCriu, want, err)
		}
		buf := make([]byte, 64*1024)
		oob := make([]byte, unix.CmsgSpace(4*4))
		n, oobn, _, _, err := s.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			return nil, fmt.Errorf("%w: read %s response: %v", ErrCriu, want, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("%w: criu exited during %s", ErrCriu, want)
		}
		resp := &criurpc.CriuResp{}
		if err := resp.UnmarshalVT(buf[:n]); err != nil {
			return nil, fmt.Errorf("decode criu response: %w", err)
		}
		if !resp.GetSuccess() {
			// CrErrmsg is CRIU's first error line, often a harmless probe.
			msg := resp.GetCrErrmsg()
			if criuNoiseLine(msg) {
				msg = ""
			}
			if msg == "" && resp.GetCrErrno() != 0 {
				msg = unix.Errno(resp.GetCrErrno()).Error()
			}
			op := strings.ToLower(resp.GetType().String())
			if msg == "" {
				return resp, fmt.Errorf("%w: %s failed", ErrCriu, op)
			}
			return resp, fmt.Errorf("%w: %s failed: %s", ErrCriu, op, msg)
		}
		if resp.GetType() != criurpc.CriuReqType_NOTIFY {
			return resp, nil
		}
		script := resp.GetNotify().GetScript()
		s.log.Debug("criu notify", slog.String("script", script), slog.Int("pid", int(resp.GetNotify().GetPid())))
		ok := true
		if notify != nil {
			if err := notify(script, int(resp.GetNotify().GetPid()), oob[:oobn]); err != nil {
				// CRIU aborts the operation on a failed notification.
				s.reply(false)
				return nil, err
			}
		}
		req = &criurpc.CriuReq{Type: criurpc.CriuReqType_NOTIFY.Enum(), NotifySuccess: &ok}
	}
}

func (s *criuSwrk) reply(ok bool) {
	req := &criurpc.CriuReq{Type: criurpc.CriuReqType_NOTIFY.Enum(), NotifySuccess: &ok}
	if raw, err := req.MarshalVT(); err == nil {
		_, _ = s.conn.Write(raw)
	}
}

// close ends the service and waits for it (bounded: a CRIU stuck after
// the socket closed is killed).
func (s *criuSwrk) close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.conn.Close()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		return fmt.Errorf("%w: criu swrk %d did not exit", ErrCriu, s.pid())
	}
}

// criuLogError returns the telling "Error" line of a CRIU log, to say in
// one line why a dump or restore failed: the last one before CRIU's
// "Dumping FAILED." / "Restoring FAILED." summary, leaving out follow-up
// lines and the probes CRIU survives (its fd limit, tun); "" when there is
// none.
func criuLogError(dir, file string) string {
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return ""
	}
	found := ""
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, "Error (")
		if i < 0 {
			continue
		}
		// "(00.012345) Error (criu/mount.c:123): msg": keep from "Error".
		line = line[i:]
		if strings.Contains(line, "FAILED.") {
			break
		}
		if criuNoiseLine(line) {
			continue
		}
		found = line
	}
	return found
}

// criuNoiseLine: an error line of CRIU that does not say why an
// operation failed (a follow-up of the real error, or a probe CRIU goes on
// after: its fd limit, creating a tun device).
func criuNoiseLine(line string) bool {
	for _, s := range []string{"exited, status=", "failed with -1", "rlimit:", "tun:", "FAILED."} {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// criuFailure builds the one-line error of a failed CRIU operation: the
// RPC error plus the log's own error lines and where the full log is.
func criuFailure(op string, err error, logDir, logFile string) error {
	detail := criuLogError(logDir, logFile)
	where := filepath.Join(logDir, logFile)
	if detail != "" {
		// The log's last real error says more than the RPC answer, whose
		// message is CRIU's first (often harmless) error line.
		return fmt.Errorf("%s: %w: %s (log %s)", op, ErrCriu, detail, where)
	}
	return fmt.Errorf("%s: %w (log %s)", op, err, where)
}
