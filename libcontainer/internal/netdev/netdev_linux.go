// Package netdev moves host network devices into a container's network
// namespace (runtime-spec linux.netDevices): validation before anything
// is created, and the move itself, done by the runtime from the host
// once the container's network namespace exists.
//
// What the spec asks, and what this package does:
//   - the device is moved and, when the entry gives one, renamed (a name
//     ending in a %d template lets the kernel pick a free number);
//   - its permanent addresses of global scope, of any family, are kept:
//     the kernel flushes a device's addresses when it changes namespace,
//     so they are read before the move and added again after it;
//   - it is set up once inside;
//   - nothing is done on delete: when the namespace goes away the kernel
//     returns physical devices to the initial namespace and destroys
//     virtual ones (the spec forbids moving them out first).
package netdev

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Validate checks linux.netDevices before the container exists: every
// name is one the kernel accepts, every device exists in the runtime's
// network namespace, no two devices get the same name, and the container
// has a network namespace that is not the runtime's own.
func Validate(l *specs.Linux) error {
	if l == nil || len(l.NetDevices) == 0 {
		return nil
	}
	if err := checkNamespace(l.Namespaces); err != nil {
		return err
	}
	c, err := dial()
	if err != nil {
		return fmt.Errorf("linux.netDevices: %w", err)
	}
	defer c.Close()
	targets := make(map[string]string)
	for _, host := range sortedKeys(l.NetDevices) {
		field := fmt.Sprintf("linux.netDevices[%q]", host)
		if err := validName(host, false); err != nil {
			return fmt.Errorf("%s: host name: %w", field, err)
		}
		target := targetName(host, l.NetDevices[host])
		if err := validName(target, true); err != nil {
			return fmt.Errorf("%s.name %q: %w", field, target, err)
		}
		// A %d template gets a unique name from the kernel.
		if !strings.Contains(target, "%") {
			if other, ok := targets[target]; ok {
				return fmt.Errorf("%s: name %q is also given to linux.netDevices[%q]", field, target, other)
			}
			targets[target] = host
		}
	}
	// Names first, then the host: a config mistake is reported as such
	// whatever the host has.
	for _, host := range sortedKeys(l.NetDevices) {
		if _, err := c.linkByName(host); err != nil {
			if errors.Is(err, unix.ENODEV) {
				return fmt.Errorf("linux.netDevices[%q]: no such network device on the host", host)
			}
			return fmt.Errorf("linux.netDevices[%q]: look up the device: %w", host, err)
		}
	}
	return nil
}

// checkNamespace requires a network namespace entry: a new namespace, or
// a path to one that is not the runtime's own (moving a device from the
// host into the host would do nothing and hide a config mistake).
func checkNamespace(nss []specs.LinuxNamespace) error {
	for _, ns := range nss {
		if ns.Type != specs.NetworkNamespace {
			continue
		}
		if ns.Path == "" {
			return nil
		}
		var want, self unix.Stat_t
		if err := unix.Stat(ns.Path, &want); err != nil {
			return fmt.Errorf("linux.netDevices: network namespace %s: %w", ns.Path, err)
		}
		if err := unix.Stat("/proc/self/ns/net", &self); err != nil {
			return fmt.Errorf("linux.netDevices: %w", err)
		}
		if want.Dev == self.Dev && want.Ino == self.Ino {
			return fmt.Errorf("linux.netDevices: the network namespace %s is the host's: devices can only move into the container's own", ns.Path)
		}
		return nil
	}
	return errors.New("linux.netDevices: the container has no network namespace of its own (add a \"network\" entry to linux.namespaces)")
}

// validName applies the kernel's dev_valid_name rules (and, for a target
// name, its rule for a %d template) so a bad name fails validation
// rather than half way through a create.
func validName(name string, template bool) error {
	switch {
	case name == "":
		return errors.New("empty interface name")
	case len(name) >= unix.IFNAMSIZ:
		return fmt.Errorf("interface name longer than %d bytes", unix.IFNAMSIZ-1)
	case name == "." || name == "..":
		return fmt.Errorf("%q is not an interface name", name)
	case strings.ContainsAny(name, "/:"):
		return errors.New("interface name contains '/' or ':'")
	}
	for _, r := range name {
		if r == ' ' || (r >= '\t' && r <= '\r') {
			return errors.New("interface name contains white space")
		}
	}
	if i := strings.IndexByte(name, '%'); i >= 0 {
		if !template {
			return errors.New("interface name contains '%'")
		}
		if !strings.HasPrefix(name[i:], "%d") || strings.Contains(name[i+2:], "%") {
			return errors.New("a name template may contain only one %d")
		}
	}
	return nil
}

func targetName(host string, d specs.LinuxNetDevice) string {
	if d.Name != "" {
		return d.Name
	}
	return host
}

// matchesTemplate reports whether name is what the kernel makes of the
// %d template tmpl (a decimal number in place of %d).
func matchesTemplate(name, tmpl string) bool {
	pre, post, _ := strings.Cut(tmpl, "%d")
	if !strings.HasPrefix(name, pre) || !strings.HasSuffix(name, post) || len(name) <= len(pre)+len(post) {
		return false
	}
	for _, r := range name[len(pre) : len(name)-len(post)] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]specs.LinuxNetDevice) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Move moves devs from the caller's network namespace into the one at
// nsPath (the init's /proc/<pid>/ns/net), renames them, adds back their
// permanent global addresses and sets them up. On error the devices
// already moved stay where they are: the caller kills the container, and
// with its namespace the kernel returns or destroys them (see the package
// comment).
func Move(nsPath string, devs map[string]specs.LinuxNetDevice) error {
	if len(devs) == 0 {
		return nil
	}
	ns, err := os.Open(nsPath)
	if err != nil {
		return fmt.Errorf("linux.netDevices: container network namespace: %w", err)
	}
	defer ns.Close()
	host, err := dial()
	if err != nil {
		return fmt.Errorf("linux.netDevices: %w", err)
	}
	defer host.Close()
	inner, err := dialIn(int(ns.Fd()))
	if err != nil {
		return fmt.Errorf("linux.netDevices: container network namespace: %w", err)
	}
	defer inner.Close()
	for _, name := range sortedKeys(devs) {
		if err := move(host, inner, int(ns.Fd()), name, targetName(name, devs[name])); err != nil {
			return fmt.Errorf("linux.netDevices[%q]: %w", name, err)
		}
	}
	return nil
}

// dialIn opens a netlink socket inside the network namespace nsFD. A
// socket stays bound to the namespace it was made in, so only its
// creation needs a thread inside: a locked thread that setns'd and is
// never unlocked, so the Go runtime ends it rather than reusing a thread
// in the wrong namespace.
func dialIn(nsFD int) (*conn, error) {
	type result struct {
		c   *conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(nsFD, unix.CLONE_NEWNET); err != nil {
			ch <- result{err: os.NewSyscallError("setns CLONE_NEWNET", err)}
			return
		}
		c, err := dial()
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

func move(host, inner *conn, nsFD int, name, target string) error {
	l, err := host.linkByName(name)
	if err != nil {
		if errors.Is(err, unix.ENODEV) {
			return errors.New("no such network device on the host")
		}
		return fmt.Errorf("look up the device: %w", err)
	}
	all, err := host.addresses(l.index)
	if err != nil {
		return fmt.Errorf("read the device's addresses: %w", err)
	}
	var addrs []address
	for _, a := range all {
		if a.keep() {
			addrs = append(addrs, a)
		}
	}
	// The kernel keeps the index across the move when it is free in the
	// target namespace; the device is found by it afterwards (its name may
	// be a kernel-made one).
	if other, err := inner.linkByIndex(l.index); err == nil {
		return fmt.Errorf("interface index %d is taken by %q in the container's network namespace", l.index, other.name)
	} else if !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("look up index %d in the container's network namespace: %w", l.index, err)
	}
	// IFLA_IFNAME beside IFLA_NET_NS_FD is the name the kernel uses if the
	// device's own name is taken inside (or the template for one).
	body := concat(ifinfomsg(l.index, 0, 0), attrU32(unix.IFLA_NET_NS_FD, uint32(nsFD)), attrString(unix.IFLA_IFNAME, target))
	if _, err := host.request(unix.RTM_NEWLINK, 0, body); err != nil {
		return fmt.Errorf("move into the container's network namespace: %w", err)
	}
	moved, err := inner.linkByIndex(l.index)
	if err != nil {
		return fmt.Errorf("find the device in the container's network namespace: %w", err)
	}
	if needsRename(moved.name, target) {
		if _, err := inner.request(unix.RTM_NEWLINK, 0, concat(ifinfomsg(l.index, 0, 0), attrString(unix.IFLA_IFNAME, target))); err != nil {
			return fmt.Errorf("rename to %q in the container's network namespace: %w", target, err)
		}
	}
	for _, a := range addrs {
		if _, err := inner.request(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, a.newAddrBody(l.index)); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("add back address %s: %w", a, err)
		}
	}
	if _, err := inner.request(unix.RTM_NEWLINK, 0, ifinfomsg(l.index, unix.IFF_UP, unix.IFF_UP)); err != nil {
		return fmt.Errorf("set the device up in the container's network namespace: %w", err)
	}
	return nil
}

// needsRename reports whether the device, now called have, still needs the
// rename to want (a name or a %d template).
func needsRename(have, want string) bool {
	if strings.Contains(want, "%") {
		return !matchesTemplate(have, want)
	}
	return have != want
}
