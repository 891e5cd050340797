package netdev

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestValidName(t *testing.T) {
	tests := []struct {
		name     string
		template bool
		wantErr  string
	}{
		{"eth0", false, ""},
		{"gcdummy0", false, ""},
		{"abcdefghijklmno", false, ""}, // 15 bytes: the longest
		{"abcdefghijklmnop", false, "longer than 15"},
		{"", false, "empty"},
		{".", false, "not an interface name"},
		{"..", false, "not an interface name"},
		{"a/b", false, "'/'"},
		{"a:1", false, "':'"},
		{"a b", false, "white space"},
		{"a\tb", false, "white space"},
		{"eth%d", true, ""},
		{"eth%d", false, "'%'"},
		{"e%dx", true, ""},
		{"eth%s", true, "only one %d"},
		{"e%d%d", true, "only one %d"},
		{"eth%", true, "only one %d"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q/%v", tt.name, tt.template), func(t *testing.T) {
			err := validName(tt.name, tt.template)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestMatchesTemplate(t *testing.T) {
	tests := []struct {
		name, tmpl string
		want       bool
	}{
		{"eth0", "eth%d", true},
		{"eth12", "eth%d", true},
		{"eth", "eth%d", false},
		{"ethx", "eth%d", false},
		{"veth0", "eth%d", false},
		{"a3b", "a%db", true},
		{"a3c", "a%db", false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, matchesTemplate(tt.name, tt.tmpl), "%s ~ %s", tt.name, tt.tmpl)
		require.Equal(t, !tt.want, needsRename(tt.name, tt.tmpl))
	}
	require.False(t, needsRename("eth7", "eth7"))
	require.True(t, needsRename("gcdummy0", "eth7"))
}

func TestAttrEncodingRoundTrips(t *testing.T) {
	b := concat(attrString(unix.IFLA_IFNAME, "eth7"), attrU32(unix.IFLA_NET_NS_FD, 9), attr(unix.IFLA_MTU, []byte{1, 2, 3}))
	// "eth7\0" is 5 bytes: 9 with the header, padded to 12; u32 is 8;
	// 3 bytes are 7, padded to 8.
	require.Len(t, b, 12+8+8)
	require.Equal(t, uint16(9), binary.NativeEndian.Uint16(b[0:2]), "rta_len counts the header and data, not the padding")
	attrs, err := parseAttrs(b)
	require.NoError(t, err)
	require.Equal(t, "eth7", cString(attrs[unix.IFLA_IFNAME]))
	require.Equal(t, uint32(9), binary.NativeEndian.Uint32(attrs[unix.IFLA_NET_NS_FD]))
	require.Equal(t, []byte{1, 2, 3}, attrs[unix.IFLA_MTU])

	// A nested flag on the type is masked off; a length beyond the buffer
	// is an error, not a panic.
	nested := attr(unix.IFLA_LINKINFO|unix.NLA_F_NESTED, []byte{0, 0, 0, 0})
	attrs, err = parseAttrs(nested)
	require.NoError(t, err)
	require.Contains(t, attrs, uint16(unix.IFLA_LINKINFO))
	bad := attr(unix.IFLA_MTU, []byte{1, 2, 3, 4})
	binary.NativeEndian.PutUint16(bad[0:2], 200)
	_, err = parseAttrs(bad)
	require.ErrorContains(t, err, "bad attribute length")
}

func TestMessageEncoding(t *testing.T) {
	body := ifinfomsg(42, unix.IFF_UP, unix.IFF_UP)
	msg := encodeMessage(unix.RTM_NEWLINK, unix.NLM_F_REQUEST|unix.NLM_F_ACK, 7, body)
	require.Len(t, msg, unix.SizeofNlMsghdr+unix.SizeofIfInfomsg)
	msgs, err := parseMessages(append(msg, encodeMessage(unix.NLMSG_DONE, 0, 7, nil)...))
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	require.Equal(t, uint16(unix.RTM_NEWLINK), msgs[0].typ)
	require.Equal(t, uint32(7), msgs[0].seq)
	l, err := parseLink(msgs[0].data)
	require.NoError(t, err)
	require.Equal(t, int32(42), l.index)
	require.Equal(t, uint32(unix.IFF_UP), l.flags)
	require.Equal(t, uint16(unix.NLMSG_DONE), msgs[1].typ)

	_, err = parseMessages([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	require.ErrorContains(t, err, "bad message length")

	var ack [4]byte
	code := -int32(unix.ENODEV)
	binary.NativeEndian.PutUint32(ack[:], uint32(code))
	require.Equal(t, unix.ENODEV, ackErrno(ack[:]))
	require.Equal(t, unix.Errno(0), ackErrno(make([]byte, 4)))
}

func TestAddressKeepAndNewAddr(t *testing.T) {
	mk := func(flags uint32, scope uint8) address {
		return address{family: unix.AF_INET, prefixlen: 24, flags: flags, scope: scope, attrs: map[uint16][]byte{
			unix.IFA_LOCAL:   {10, 1, 2, 3},
			unix.IFA_ADDRESS: {10, 1, 2, 3},
			unix.IFA_LABEL:   []byte("gcdummy0\x00"),
		}}
	}
	tests := []struct {
		name string
		a    address
		keep bool
	}{
		{"permanent_global", mk(unix.IFA_F_PERMANENT, unix.RT_SCOPE_UNIVERSE), true},
		{"permanent_nodad_global", mk(unix.IFA_F_PERMANENT|unix.IFA_F_NODAD, unix.RT_SCOPE_UNIVERSE), true},
		{"dynamic_global", mk(0, unix.RT_SCOPE_UNIVERSE), false},
		{"permanent_link", mk(unix.IFA_F_PERMANENT, unix.RT_SCOPE_LINK), false},
		{"permanent_host", mk(unix.IFA_F_PERMANENT, unix.RT_SCOPE_HOST), false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.keep, tt.a.keep(), tt.name)
	}

	a := mk(unix.IFA_F_PERMANENT|unix.IFA_F_NODAD|unix.IFA_F_TENTATIVE, unix.RT_SCOPE_UNIVERSE)
	require.Equal(t, "10.1.2.3/24", a.String())
	b := a.newAddrBody(17)
	got, err := parseAddress(b)
	require.NoError(t, err)
	require.Equal(t, int32(17), got.index)
	require.Equal(t, uint8(24), got.prefixlen)
	require.Equal(t, uint8(unix.AF_INET), got.family)
	require.Equal(t, uint32(unix.IFA_F_NODAD), got.flags, "kernel state bits (permanent, tentative) are not sent")
	require.Equal(t, []byte{10, 1, 2, 3}, got.attrs[unix.IFA_LOCAL])
	require.NotContains(t, got.attrs, uint16(unix.IFA_LABEL), "the label names the old device")
}

func TestValidateWithoutOwnNetworkNamespace(t *testing.T) {
	devs := map[string]specs.LinuxNetDevice{"lo": {Name: "eth7"}}
	err := Validate(&specs.Linux{NetDevices: devs})
	require.EqualError(t, err, `linux.netDevices: the container has no network namespace of its own (add a "network" entry to linux.namespaces)`)
	err = Validate(&specs.Linux{NetDevices: devs, Namespaces: []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/proc/self/ns/net"}}})
	require.ErrorContains(t, err, "is the host's")
	require.NoError(t, Validate(&specs.Linux{}))
}

func TestValidateNames(t *testing.T) {
	newNS := []specs.LinuxNamespace{{Type: specs.NetworkNamespace}}
	tests := []struct {
		name string
		devs map[string]specs.LinuxNetDevice
		want string
	}{
		{"ok", map[string]specs.LinuxNetDevice{"lo": {Name: "eth7"}}, ""},
		{"ok_template", map[string]specs.LinuxNetDevice{"lo": {Name: "eth%d"}}, ""},
		{"missing", map[string]specs.LinuxNetDevice{"gcnosuch0": {}}, `linux.netDevices["gcnosuch0"]: no such network device on the host`},
		{"bad_host_name", map[string]specs.LinuxNetDevice{"a/b": {}}, `linux.netDevices["a/b"]: host name: interface name contains '/' or ':'`},
		{"long_target", map[string]specs.LinuxNetDevice{"lo": {Name: strings.Repeat("x", 16)}}, `linux.netDevices["lo"].name "xxxxxxxxxxxxxxxx": interface name longer than 15 bytes`},
		{"duplicate_target", map[string]specs.LinuxNetDevice{"a0": {Name: "eth0"}, "b0": {Name: "eth0"}}, `linux.netDevices["b0"]: name "eth0" is also given to linux.netDevices["a0"]`},
		{"duplicate_host_default", map[string]specs.LinuxNetDevice{"a0": {Name: "b0"}, "b0": {}}, `linux.netDevices["b0"]: name "b0" is also given to linux.netDevices["a0"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(&specs.Linux{NetDevices: tt.devs, Namespaces: newNS})
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.want)
			require.NotContains(t, err.Error(), "\n")
		})
	}
}

// TestMoveIntoNamespace moves a real dummy device with addresses into a
// namespace made by ip netns and checks name, addresses and state there.
func TestMoveIntoNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2")
	}
	ip := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("ip", args...).CombinedOutput()
		require.NoError(t, err, "ip %v: %s", args, out)
		return string(out)
	}
	dev, ns := fmt.Sprintf("gcnd%d", os.Getpid()%100000), fmt.Sprintf("gcnetdev%d", os.Getpid())
	addLink(t, dev)
	ip("netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	ip("link", "set", dev, "mtu", "1400")
	ip("addr", "add", "10.251.3.4/24", "dev", dev)
	ip("-6", "addr", "add", "fd00:251::4/64", "dev", dev, "nodad")
	// Link scope: stays behind by the spec's rule.
	ip("addr", "add", "169.254.9.9/16", "scope", "link", "dev", dev)

	devs := map[string]specs.LinuxNetDevice{dev: {Name: "eth7"}}
	l := &specs.Linux{NetDevices: devs, Namespaces: []specs.LinuxNamespace{{Type: specs.NetworkNamespace}}}
	require.NoError(t, Validate(l))
	require.NoError(t, Move("/run/netns/"+ns, devs))

	out, err := exec.Command("ip", "link", "show", dev).CombinedOutput()
	require.Error(t, err, "the device is still on the host: %s", out)
	inside := ip("-n", ns, "addr", "show", "eth7")
	require.Contains(t, inside, "mtu 1400")
	require.Contains(t, inside, ",UP")
	require.Contains(t, inside, "inet 10.251.3.4/24")
	require.Contains(t, inside, "inet6 fd00:251::4/64")
	require.NotContains(t, inside, "169.254.9.9")

	// Moving it again fails naming the device: it is no longer on the host.
	err = Move("/run/netns/"+ns, devs)
	require.EqualError(t, err, fmt.Sprintf("linux.netDevices[%q]: no such network device on the host", dev))
}

func TestMoveWithTemplate(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2")
	}
	dev, ns := fmt.Sprintf("gcnt%d", os.Getpid()%100000), fmt.Sprintf("gcnetdevt%d", os.Getpid())
	addLink(t, dev)
	require.NoError(t, exec.Command("ip", "netns", "add", ns).Run())
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	require.NoError(t, Move("/run/netns/"+ns, map[string]specs.LinuxNetDevice{dev: {Name: "gcx%d"}}))
	out, err := exec.Command("ip", "-n", ns, "-o", "link", "show").CombinedOutput()
	require.NoError(t, err)
	require.Regexp(t, `\d+: gcx0[:@]`, string(out))
}

// addLink makes a virtual device called name on the host: a dummy, or
// where the kernel has no dummy driver one end of a veth pair (the peer
// is name+"p").
func addLink(t *testing.T, name string) {
	t.Helper()
	if exec.Command("ip", "link", "add", name, "type", "dummy").Run() != nil {
		out, err := exec.Command("ip", "link", "add", name, "type", "veth", "peer", "name", name+"p").CombinedOutput()
		require.NoError(t, err, "ip link add %s: %s", name, out)
	}
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "del", name).Run()
		_ = exec.Command("ip", "link", "del", name+"p").Run()
	})
}
