package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
)

func i64(v int64) *int64 { return &v }

func TestDeviceAllowListIsExactlyTheSpecsRules(t *testing.T) {
	r := newRuntime(t)
	spec := baseSpec("sh", "-c", `mknod /dev/kmsg2 c 1 11 && { echo gcit-kmsg > /dev/kmsg2 && echo kmsg-writable || echo kmsg-denied; }; echo x > /dev/gcnull && echo null-ok`)
	spec.Linux.Resources = &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}
	spec.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/gcnull", Type: "c", Major: 1, Minor: 3}}
	spec.Process.Capabilities.Bounding = append(spec.Process.Capabilities.Bounding, "CAP_MKNOD")
	spec.Process.Capabilities.Effective = append(spec.Process.Capabilities.Effective, "CAP_MKNOD")
	spec.Process.Capabilities.Permitted = append(spec.Process.Capabilities.Permitted, "CAP_MKNOD")
	cg := uniqueCgroup(t)
	spec.Linux.CgroupsPath = cg
	b := newBundle(t, spec)
	id := "devallow"
	r.deleteOnCleanup(t, id)
	res := r.run(t, "run", "--bundle", b.dir, id)
	require.Equal(t, 0, res.code, "%s", res)
	require.Contains(t, res.stdout, "kmsg-denied", "%s", res)
	require.Contains(t, res.stdout, "null-ok", "the spec's device is usable\n%s", res)

	// On cgroup v1 the kernel's list is exactly the spec's rules, the
	// created devices and runc's defaults.
	if _, err := os.Stat("/sys/fs/cgroup/devices"); err != nil {
		return
	}
	spec.Process.Args = []string{"sleep", "100"}
	spec.Linux.Devices = append(spec.Linux.Devices, specs.LinuxDevice{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229})
	b.write(t, spec)
	id2 := "devallow2"
	r.deleteOnCleanup(t, id2)
	r.ok(t, "create", "--bundle", b.dir, id2)
	list := readFile(t, filepath.Join("/sys/fs/cgroup/devices", cg, "devices.list"))
	want := map[string]bool{"c 1:3 rwm": true, "c 10:229 rwm": true, "c *:* m": true, "b *:* m": true,
		"c 1:5 rwm": true, "c 1:7 rwm": true, "c 1:8 rwm": true, "c 1:9 rwm": true, "c 5:0 rwm": true,
		"c 5:1 rwm": true, "c 5:2 rwm": true, "c 136:* rwm": true}
	got := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(list), "\n") {
		got[l] = true
	}
	require.Equal(t, want, got, "devices.list:\n%s", list)
	r.ok(t, "delete", "-f", id2)
}
