package va

import "net/netip"

// guard decides which addresses the VA may connect to. It is the one
// place the SSRF policy lives; every dial passes through it.
type guard struct {
	allowPrivate bool
	ranges       []addrRange
	nat64        netip.Prefix
	global6      netip.Prefix
}

// addrRange is a special-purpose block and the class named in details.
type addrRange struct {
	prefix netip.Prefix
	class  string
}

// specialRanges lists the IANA special-purpose blocks that are not
// globally reachable unicast, most specific first.
func specialRanges() []addrRange {
	list := []struct{ cidr, class string }{
		{"0.0.0.0/8", "this-network"},
		{"10.0.0.0/8", "private"},
		{"100.64.0.0/10", "shared address space (CGNAT)"},
		{"127.0.0.0/8", "loopback"},
		{"169.254.0.0/16", "link-local"},
		{"172.16.0.0/12", "private"},
		{"192.0.0.0/24", "IETF protocol assignment"},
		{"192.0.2.0/24", "documentation"},
		{"192.88.99.0/24", "6to4 relay anycast"},
		{"192.168.0.0/16", "private"},
		{"198.18.0.0/15", "benchmarking"},
		{"198.51.100.0/24", "documentation"},
		{"203.0.113.0/24", "documentation"},
		{"224.0.0.0/4", "multicast"},
		{"255.255.255.255/32", "broadcast"},
		{"240.0.0.0/4", "reserved"},
		{"::/128", "unspecified"},
		{"::1/128", "loopback"},
		{"::/96", "IPv4-compatible"},
		{"64:ff9b:1::/48", "local-use NAT64"},
		{"100::/64", "discard-only"},
		{"2001:db8::/32", "documentation"},
		{"2001::/23", "IETF protocol assignment"},
		{"2002::/16", "6to4"},
		{"3fff::/20", "documentation"},
		{"5f00::/16", "SRv6 SID"},
		{"fc00::/7", "unique local (private)"},
		{"fe80::/10", "link-local"},
		{"fec0::/10", "site-local"},
		{"ff00::/8", "multicast"},
	}
	out := make([]addrRange, len(list))
	for i, r := range list {
		out[i] = addrRange{prefix: netip.MustParsePrefix(r.cidr), class: r.class}
	}
	return out
}

func newGuard(allowPrivate bool) *guard {
	return &guard{
		allowPrivate: allowPrivate,
		ranges:       specialRanges(),
		nat64:        netip.MustParsePrefix("64:ff9b::/96"),
		global6:      netip.MustParsePrefix("2000::/3"),
	}
}

// refused returns the class of a disallowed address, or "" when the VA may
// connect to it.
func (g *guard) refused(a netip.Addr) string {
	if g.allowPrivate {
		return ""
	}
	return g.classify(a)
}

// classify names the special-purpose class of a, or "" for global unicast.
func (g *guard) classify(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid"
	}
	a = a.WithZone("").Unmap()
	if g.nat64.Contains(a) {
		// The translator would connect to the embedded IPv4 address.
		b := a.As16()
		if class := g.classify(netip.AddrFrom4([4]byte(b[12:]))); class != "" {
			return "NAT64 of " + class
		}
		return ""
	}
	for _, r := range g.ranges {
		if r.prefix.Contains(a) {
			return r.class
		}
	}
	if a.Is6() && !g.global6.Contains(a) {
		return "reserved"
	}
	return ""
}
