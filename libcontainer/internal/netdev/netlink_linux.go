package netdev

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// A hand-written rtnetlink client: the handful of requests this package
// makes do not justify a netlink library in the runtime binary, whose
// start-up cost matters on every container operation.

// conn is a NETLINK_ROUTE socket. The kernel binds a netlink socket to
// the network namespace of the thread that created it, so a conn made
// inside the container's netns talks to that netns from any thread.
type conn struct {
	fd  int
	seq uint32
}

func dial() (*conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, os.NewSyscallError("socket AF_NETLINK", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind netlink", err)
	}
	// Ask for extended acks so a refused request says why, where the
	// kernel has something to say (best effort: old kernels lack it).
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	return &conn{fd: fd}, nil
}

func (c *conn) Close() error { return unix.Close(c.fd) }

// message is one netlink message: its type and payload after the header.
type message struct {
	typ  uint16
	data []byte
}

// request sends one message and collects the replies until the kernel's
// ack (or NLMSG_DONE for a dump). A negative ack is returned as the errno.
func (c *conn) request(typ, flags uint16, body []byte) ([]message, error) {
	c.seq++
	seq := c.seq
	msg := encodeMessage(typ, flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK, seq, body)
	if err := unix.Sendto(c.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, os.NewSyscallError("sendto netlink", err)
	}
	var out []message
	buf := make([]byte, 1<<16)
	for {
		n, from, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return nil, os.NewSyscallError("recvfrom netlink", err)
		}
		// Only the kernel (port 0) answers our requests.
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue
		}
		msgs, err := parseMessages(buf[:n])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if m.seq != seq {
				continue
			}
			switch m.typ {
			case unix.NLMSG_ERROR:
				if errno := ackErrno(m.data); errno != 0 {
					return nil, errno
				}
				return out, nil
			case unix.NLMSG_DONE:
				return out, nil
			default:
				// buf is reused by the next recvfrom.
				out = append(out, message{typ: m.typ, data: append([]byte(nil), m.data...)})
			}
		}
	}
}

type rawMessage struct {
	typ  uint16
	seq  uint32
	data []byte
}

func encodeMessage(typ, flags uint16, seq uint32, body []byte) []byte {
	b := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(body))
	binary.NativeEndian.PutUint32(b[0:4], uint32(unix.SizeofNlMsghdr+len(body)))
	binary.NativeEndian.PutUint16(b[4:6], typ)
	binary.NativeEndian.PutUint16(b[6:8], flags)
	binary.NativeEndian.PutUint32(b[8:12], seq)
	// nlmsg_pid 0: let the kernel fill in our port.
	return append(b, body...)
}

func parseMessages(b []byte) ([]rawMessage, error) {
	var out []rawMessage
	for len(b) >= unix.SizeofNlMsghdr {
		l := int(binary.NativeEndian.Uint32(b[0:4]))
		if l < unix.SizeofNlMsghdr || l > len(b) {
			return nil, fmt.Errorf("netlink: bad message length %d (%d bytes left)", l, len(b))
		}
		out = append(out, rawMessage{
			typ:  binary.NativeEndian.Uint16(b[4:6]),
			seq:  binary.NativeEndian.Uint32(b[8:12]),
			data: b[unix.SizeofNlMsghdr:l],
		})
		b = b[min(align(l), len(b)):]
	}
	return out, nil
}

// ackErrno is the error of an NLMSG_ERROR payload (0 for a positive ack).
func ackErrno(data []byte) unix.Errno {
	if len(data) < 4 {
		return unix.EBADMSG
	}
	code := int32(binary.NativeEndian.Uint32(data[0:4]))
	if code >= 0 {
		return 0
	}
	return unix.Errno(-code)
}

func align(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// attr encodes one rtattr, padded to 4 bytes.
func attr(typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	b := make([]byte, align(l))
	binary.NativeEndian.PutUint16(b[0:2], uint16(l))
	binary.NativeEndian.PutUint16(b[2:4], typ)
	copy(b[unix.SizeofRtAttr:], data)
	return b
}

func attrString(typ uint16, s string) []byte { return attr(typ, append([]byte(s), 0)) }

func attrU32(typ uint16, v uint32) []byte {
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], v)
	return attr(typ, b[:])
}

// parseAttrs decodes a run of rtattrs; nested flags are masked off the type.
func parseAttrs(b []byte) (map[uint16][]byte, error) {
	out := make(map[uint16][]byte)
	for len(b) >= unix.SizeofRtAttr {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		typ := binary.NativeEndian.Uint16(b[2:4]) &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)
		if l < unix.SizeofRtAttr || l > len(b) {
			return nil, fmt.Errorf("netlink: bad attribute length %d (%d bytes left)", l, len(b))
		}
		out[typ] = b[unix.SizeofRtAttr:l]
		b = b[min(align(l), len(b)):]
	}
	return out, nil
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// ifinfomsg encodes struct ifinfomsg.
func ifinfomsg(index int32, flags, change uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(b[4:8], uint32(index))
	binary.NativeEndian.PutUint32(b[8:12], flags)
	binary.NativeEndian.PutUint32(b[12:16], change)
	return b
}

// link is what this package needs of an RTM_NEWLINK answer.
type link struct {
	index int32
	flags uint32
	name  string
}

func parseLink(data []byte) (link, error) {
	if len(data) < unix.SizeofIfInfomsg {
		return link{}, errors.New("netlink: short ifinfomsg")
	}
	l := link{
		index: int32(binary.NativeEndian.Uint32(data[4:8])),
		flags: binary.NativeEndian.Uint32(data[8:12]),
	}
	attrs, err := parseAttrs(data[unix.SizeofIfInfomsg:])
	if err != nil {
		return link{}, err
	}
	l.name = cString(attrs[unix.IFLA_IFNAME])
	return l, nil
}

// linkByName asks for one link by name; unix.ENODEV when there is none.
func (c *conn) linkByName(name string) (link, error) {
	return c.getLink(ifinfomsg(0, 0, 0), attrString(unix.IFLA_IFNAME, name))
}

// linkByIndex asks for one link by index; unix.ENODEV when there is none.
func (c *conn) linkByIndex(index int32) (link, error) {
	return c.getLink(ifinfomsg(index, 0, 0))
}

func (c *conn) getLink(parts ...[]byte) (link, error) {
	msgs, err := c.request(unix.RTM_GETLINK, 0, concat(parts...))
	if err != nil {
		return link{}, err
	}
	for _, m := range msgs {
		if m.typ == unix.RTM_NEWLINK {
			return parseLink(m.data)
		}
	}
	return link{}, unix.ENODEV
}

// address is one interface address as the kernel reported it.
type address struct {
	family    uint8
	prefixlen uint8
	flags     uint32 // IFA_FLAGS when present (it carries the bits above 8)
	scope     uint8
	index     int32
	attrs     map[uint16][]byte
}

func parseAddress(data []byte) (address, error) {
	if len(data) < unix.SizeofIfAddrmsg {
		return address{}, errors.New("netlink: short ifaddrmsg")
	}
	a := address{
		family:    data[0],
		prefixlen: data[1],
		flags:     uint32(data[2]),
		scope:     data[3],
		index:     int32(binary.NativeEndian.Uint32(data[4:8])),
	}
	attrs, err := parseAttrs(data[unix.SizeofIfAddrmsg:])
	if err != nil {
		return address{}, err
	}
	if f, ok := attrs[unix.IFA_FLAGS]; ok && len(f) == 4 {
		a.flags = binary.NativeEndian.Uint32(f)
	}
	a.attrs = attrs
	return a, nil
}

// keep is the spec's rule for addresses that travel with a device:
// permanent ones of global scope, of any family.
func (a address) keep() bool {
	return a.flags&unix.IFA_F_PERMANENT != 0 && a.scope == unix.RT_SCOPE_UNIVERSE
}

// settableAddrFlags are the IFA_F_* bits a user may give RTM_NEWADDR;
// the others are state the kernel keeps (tentative, deprecated, ...).
// IFA_F_PERMANENT is implied by an address without lifetimes.
const settableAddrFlags = unix.IFA_F_NODAD | unix.IFA_F_OPTIMISTIC | unix.IFA_F_HOMEADDRESS |
	unix.IFA_F_NOPREFIXROUTE | unix.IFA_F_MANAGETEMPADDR | unix.IFA_F_MCAUTOJOIN

// newAddrBody encodes RTM_NEWADDR of a onto the link index: the address
// attributes that define it, without the label (it names the old device)
// or lifetimes (a permanent address has none).
func (a address) newAddrBody(index int32) []byte {
	hdr := make([]byte, unix.SizeofIfAddrmsg)
	hdr[0], hdr[1], hdr[3] = a.family, a.prefixlen, a.scope
	hdr[2] = uint8(a.flags & settableAddrFlags & 0xff)
	binary.NativeEndian.PutUint32(hdr[4:8], uint32(index))
	parts := [][]byte{hdr}
	for _, t := range []uint16{unix.IFA_LOCAL, unix.IFA_ADDRESS, unix.IFA_BROADCAST} {
		if v, ok := a.attrs[t]; ok {
			parts = append(parts, attr(t, v))
		}
	}
	parts = append(parts, attrU32(unix.IFA_FLAGS, a.flags&settableAddrFlags))
	return concat(parts...)
}

// addresses dumps the addresses of link index (all families).
func (c *conn) addresses(index int32) ([]address, error) {
	hdr := make([]byte, unix.SizeofIfAddrmsg) // AF_UNSPEC: every family
	msgs, err := c.request(unix.RTM_GETADDR, unix.NLM_F_DUMP, hdr)
	if err != nil {
		return nil, err
	}
	var out []address
	for _, m := range msgs {
		if m.typ != unix.RTM_NEWADDR {
			continue
		}
		a, err := parseAddress(m.data)
		if err != nil {
			return nil, err
		}
		if a.index == index {
			out = append(out, a)
		}
	}
	return out, nil
}

func concat(parts ...[]byte) []byte {
	var n int
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// String is the address for error messages: IFA_LOCAL (the interface's
// own address for IPv4), else IFA_ADDRESS, with the prefix length.
func (a address) String() string {
	ip, ok := a.attrs[unix.IFA_LOCAL]
	if !ok {
		ip = a.attrs[unix.IFA_ADDRESS]
	}
	addr, _ := netip.AddrFromSlice(ip)
	return fmt.Sprintf("%s/%d", addr, a.prefixlen)
}
