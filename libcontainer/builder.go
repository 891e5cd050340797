package libcontainer

import (
	"log/slog"
	"os"
)

// ContainerBuilder holds what every way of starting a process in a
// container needs. Use AsInit for a new container (create, run).
type ContainerBuilder struct {
	id            string
	root          string
	pidFile       string
	consoleSocket string
	consoleFile   *os.File
	preserveFDs   int
	listenFDs     int
	stdin         *os.File
	stdout        *os.File
	stderr        *os.File
	logger        *slog.Logger
}

// NewContainerBuilder starts a builder for container id under the state
// root directory (e.g. /run/gocontainer).
func NewContainerBuilder(id, root string) *ContainerBuilder {
	return &ContainerBuilder{
		id: id, root: root,
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		logger: slog.New(slog.DiscardHandler),
	}
}

// WithPidFile makes create write the init's pid (no newline) to path.
func (b *ContainerBuilder) WithPidFile(path string) *ContainerBuilder {
	b.pidFile = path
	return b
}

// WithConsoleSocket sets the unix socket that receives the pty master.
func (b *ContainerBuilder) WithConsoleSocket(path string) *ContainerBuilder {
	b.consoleSocket = path
	return b
}

// WithConsoleSocketFile sets an already connected unix socket that receives
// the pty master instead of a path: a runtime that relays the terminal
// itself passes one end of NewConsoleSocketPair. The caller keeps
// ownership of f. It is only used when process.terminal is true.
func (b *ContainerBuilder) WithConsoleSocketFile(f *os.File) *ContainerBuilder {
	b.consoleFile = f
	return b
}

// WithPreserveFDs passes fds 3 .. 3+n-1 of the caller into the container.
func (b *ContainerBuilder) WithPreserveFDs(n int) *ContainerBuilder {
	b.preserveFDs = n
	return b
}

// WithListenFDs passes n socket-activation fds (systemd's LISTEN_FDS),
// which come before the preserved fds: fds 3 .. 3+n-1 of the caller go to
// the container at the same numbers, and its process gets LISTEN_FDS=n and
// LISTEN_PID=1 (as with runc), so the activated service finds them.
func (b *ContainerBuilder) WithListenFDs(n int) *ContainerBuilder {
	b.listenFDs = n
	return b
}

// WithStdio sets the files the container process gets as fds 0, 1 and 2
// (default: the caller's own).
func (b *ContainerBuilder) WithStdio(stdin, stdout, stderr *os.File) *ContainerBuilder {
	b.stdin, b.stdout, b.stderr = stdin, stdout, stderr
	return b
}

// WithLogger sets the logger. The container init logs at the lowest level
// l is enabled for, and its entries come back through l.
func (b *ContainerBuilder) WithLogger(l *slog.Logger) *ContainerBuilder {
	b.logger = l
	return b
}

// AsInit turns the builder into one for a new container from bundle.
func (b *ContainerBuilder) AsInit(bundle string) *InitContainerBuilder {
	return &InitContainerBuilder{base: b, bundle: bundle}
}

// InitContainerBuilder creates a new container (the create command).
type InitContainerBuilder struct {
	base         *ContainerBuilder
	bundle       string
	noPivot      bool
	noNewKeyring bool
	systemd      bool
	rootless     bool
}

// WithNoPivot uses MS_MOVE and chroot instead of pivot_root (for rootfs on
// ramfs, where pivot_root is impossible).
func (ib *InitContainerBuilder) WithNoPivot(v bool) *InitContainerBuilder {
	ib.noPivot = v
	return ib
}

// WithNoNewKeyring keeps the caller's session keyring instead of creating
// one per container.
func (ib *InitContainerBuilder) WithNoNewKeyring(v bool) *InitContainerBuilder {
	ib.noNewKeyring = v
	return ib
}

// WithSystemd selects the systemd cgroup driver.
func (ib *InitContainerBuilder) WithSystemd(v bool) *InitContainerBuilder {
	ib.systemd = v
	return ib
}

// WithRootlessCgroups uses the cgroup tree only where it is delegated to
// the caller, and skips device rules unless the caller is the host's root
// (libcgroups.Config.Rootless); the CLI sets it from --rootless (auto: not
// the host's root, see RootlessEUID).
func (ib *InitContainerBuilder) WithRootlessCgroups(v bool) *InitContainerBuilder {
	ib.rootless = v
	return ib
}
