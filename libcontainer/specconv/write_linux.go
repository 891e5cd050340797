package specconv

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ConfigName is the spec's file name inside a bundle.
const ConfigName = "config.json"

// ErrConfigExists is returned by WriteSpec when the bundle already has a
// config.json. errors.Is(err, os.ErrExist) is true for it as well.
var ErrConfigExists error = configExistsError{}

type configExistsError struct{}

// Error keeps runc's exact text: scripts written for runc match it.
func (configExistsError) Error() string { return "File " + ConfigName + " exists. Remove it first" }

func (configExistsError) Is(target error) bool { return target == os.ErrExist }

// WriteSpec writes s as bundle/config.json (tab-indented, no trailing
// newline, mode 0666 minus the umask: byte for byte what runc writes). It
// never overwrites: an existing config.json, or a symlink by that name,
// gives ErrConfigExists. An empty bundle means the current directory.
func WriteSpec(bundle string, s *specs.Spec) error {
	if bundle == "" {
		bundle = "."
	}
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	dirfd, err := unix.Open(bundle, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open bundle %s: %w", bundle, err)
	}
	defer unix.Close(dirfd)
	// O_EXCL makes the existence check and the create one step, and with
	// O_CREAT it also refuses a (dangling) symlink instead of following it.
	fd, err := unix.Openat(dirfd, ConfigName, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o666)
	if errors.Is(err, unix.EEXIST) {
		return ErrConfigExists
	}
	if err != nil {
		return fmt.Errorf("create %s in bundle %s: %w", ConfigName, bundle, err)
	}
	f := os.NewFile(uintptr(fd), bundle+"/"+ConfigName)
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr != nil {
		// Do not leave a truncated config.json that a retry would refuse.
		_ = unix.Unlinkat(dirfd, ConfigName, 0)
		return fmt.Errorf("write %s in bundle %s: %w", ConfigName, bundle, werr)
	}
	return nil
}

// IsCgroup2UnifiedMode reports whether /sys/fs/cgroup is a cgroup2 mount
// (the unified hierarchy), which is when runc's example gets a cgroup
// namespace. On a legacy or hybrid host it is a tmpfs.
func IsCgroup2UnifiedMode() bool {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC
}
