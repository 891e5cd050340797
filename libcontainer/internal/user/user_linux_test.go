package user

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/gocontainer/gocontainer/libcontainer/internal/sysctl/procfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const childEnv = "GOCONTAINER_USER_TEST_CHILD"

type childSpec struct {
	User   specs.User
	Denied bool
}

// TestMain lets the test binary act as a container init switching user.
func TestMain(m *testing.M) {
	if js := os.Getenv(childEnv); js != "" {
		var cs childSpec
		if err := json.Unmarshal([]byte(js), &cs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		// Start a few threads first, so the test sees whether Setup
		// changes all of them.
		var wg sync.WaitGroup
		ready := make(chan struct{})
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				runtime.LockOSThread()
				wg.Done()
				<-ready
			}()
		}
		wg.Wait()
		if err := Setup(cs.User, Options{SetgroupsDenied: cs.Denied}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		tasks, _ := os.ReadDir("/proc/self/task")
		for _, tk := range tasks {
			st, err := os.ReadFile("/proc/self/task/" + tk.Name() + "/status")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			for _, l := range strings.Split(string(st), "\n") {
				if strings.HasPrefix(l, "Uid:") || strings.HasPrefix(l, "Gid:") ||
					strings.HasPrefix(l, "Groups:") || strings.HasPrefix(l, "Umask:") {
					fmt.Println(l)
				}
			}
		}
		close(ready)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runChild(t *testing.T, cs childSpec) (string, error) {
	t.Helper()
	js, err := json.Marshal(cs)
	require.NoError(t, err)
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(js))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func umask(m uint32) *uint32 { return &m }

func TestSetupChangesEveryThread(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to change uid and groups")
	}
	tests := []struct {
		name  string
		user  specs.User
		lines []string
	}{
		{"groups and umask", specs.User{UID: 1000, GID: 1001, AdditionalGids: []uint32{5, 1002}, Umask: umask(0o077)},
			[]string{"Umask:\t0077", "Uid:\t1000\t1000\t1000\t1000", "Gid:\t1001\t1001\t1001\t1001", "Groups:\t5 1002"}},
		{"default umask and no groups", specs.User{UID: 65534, GID: 65534},
			[]string{"Umask:\t0022", "Uid:\t65534\t65534\t65534\t65534", "Gid:\t65534\t65534\t65534\t65534", "Groups:\t"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runChild(t, childSpec{User: tc.user})
			require.NoError(t, err, out)
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			require.GreaterOrEqual(t, len(lines), 5*len(tc.lines), "expected several threads:\n%s", out)
			for _, l := range lines {
				require.Contains(t, tc.lines, strings.TrimRight(l, " "), out)
			}
		})
	}
}

func TestSetupRefusesGroupsWhenSetgroupsIsDenied(t *testing.T) {
	out, err := runChild(t, childSpec{User: specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{10}}, Denied: true})
	require.Error(t, err)
	require.Equal(t, "process.user.additionalGids [10]: setgroups is denied in this user namespace\n", out)

	out, err = runChild(t, childSpec{User: specs.User{UID: 0, GID: 0, Umask: umask(0o1000)}})
	if os.Geteuid() == 0 {
		require.Error(t, err)
		require.Equal(t, "process.user.umask 01000: out of range 0..0777\n", out)
	}
}

func TestSetupWithoutPrivilegeNamesTheStep(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to start the child as another user")
	}
	js, err := json.Marshal(childSpec{User: specs.User{UID: 0, GID: 0, AdditionalGids: []uint32{0}}})
	require.NoError(t, err)
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(js))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	require.Equal(t, "setgroups [0]: operation not permitted\n", string(out))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func TestLookupHomeReadsTheContainersPasswd(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/srv/app:/bin/sh\nempty:x:5:5:::\n")
	for uid, want := range map[uint32]string{0: "/root", 1000: "/srv/app", 5: "/", 77: "/"} {
		got, err := LookupHome(root, uid)
		require.NoError(t, err)
		require.Equal(t, want, got, "uid %d", uid)
	}
}

func TestLookupHomeResolvesSymlinksInsideTheRootfs(t *testing.T) {
	// A host file the container must not be able to read through a link.
	host := t.TempDir()
	writeFile(t, filepath.Join(host, "passwd"), "x:x:1000:1000::/host-home:/bin/sh\n")

	root := t.TempDir()
	writeFile(t, filepath.Join(root, host, "passwd"), "x:x:1000:1000::/container-home:/bin/sh\n")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(host, "passwd"), filepath.Join(root, "etc/passwd")))
	got, err := LookupHome(root, 1000)
	require.NoError(t, err)
	require.Equal(t, "/container-home", got)

	// A relative link climbing out of the rootfs stays inside it too.
	root2 := t.TempDir()
	require.NoError(t, os.Symlink("../../../../../../.."+host, filepath.Join(root2, "etc")))
	writeFile(t, filepath.Join(root2, host, "passwd"), "x:x:1000:1000::/inside:/bin/sh\n")
	got, err = LookupHome(root2, 1000)
	require.NoError(t, err)
	require.Equal(t, "/inside", got, "etc resolves to <root2>"+host)
}

func TestLookupHomeDefaultsAndRefusals(t *testing.T) {
	root := t.TempDir()
	got, err := LookupHome(root, 0)
	require.NoError(t, err)
	require.Equal(t, "/", got, "no /etc/passwd")

	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc/passwd"), 0o755))
	_, err = LookupHome(root, 0)
	require.EqualError(t, err, filepath.Join(root, "etc/passwd")+": not a regular file")

	fifoRoot := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(fifoRoot, "etc"), 0o755))
	require.NoError(t, unix.Mkfifo(filepath.Join(fifoRoot, "etc/passwd"), 0o644))
	_, err = LookupHome(fifoRoot, 0) // must not block
	require.EqualError(t, err, filepath.Join(fifoRoot, "etc/passwd")+": not a regular file")

	_, err = LookupHome(filepath.Join(root, "missing"), 0)
	require.EqualError(t, err, "open "+filepath.Join(root, "missing")+": no such file or directory")
}

func TestEnvWithHome(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "etc/passwd"), "app:x:1000:1000::/srv/app:/bin/sh\n")
	env := []string{"PATH=/bin"}
	got, err := EnvWithHome(env, root, 1000)
	require.NoError(t, err)
	require.Equal(t, []string{"PATH=/bin", "HOME=/srv/app"}, got)
	require.Equal(t, []string{"PATH=/bin"}, env, "input not modified")

	got, err = EnvWithHome([]string{"HOME=", "A=b"}, root, 1000)
	require.NoError(t, err)
	require.Equal(t, []string{"HOME=", "A=b"}, got)

	got, err = EnvWithHome(nil, root, 42)
	require.NoError(t, err)
	require.Equal(t, []string{"HOME=/"}, got)
}

func TestSetgroupsDenied(t *testing.T) {
	h, err := procfs.Open()
	require.NoError(t, err)
	defer h.Close()
	denied, err := SetgroupsDenied(h)
	require.NoError(t, err)
	b, err := os.ReadFile("/proc/self/setgroups")
	require.NoError(t, err)
	require.Equal(t, strings.TrimSpace(string(b)) == "deny", denied)
}
