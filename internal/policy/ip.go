package policy

import (
	"net/netip"

	"github.com/quarry-ca/quarry/internal/core"
)

// checkIP checks an RFC 8738 identifier: the value must be an address in
// its canonical text form, and a public CA certifies only global unicast
// addresses.
func (p *Policy) checkIP(value string) *core.Error {
	ip, err := netip.ParseAddr(value)
	if err != nil {
		return core.Errorf(core.ErrMalformed, "%q is not an IP address in canonical form", value)
	}
	switch {
	case ip.Zone() != "":
		return core.Errorf(core.ErrMalformed, "%q has a zone; zones are local to one host", value)
	case ip.Is4In6():
		return core.Errorf(core.ErrMalformed, "%q is an IPv4-mapped address; send %q", value, ip.Unmap().String())
	case ip.String() != value:
		// RFC 8738 §3 and RFC 5952: one textual form per address, so the
		// identifier matches the certificate's SAN and the order's authz.
		return core.Errorf(core.ErrMalformed, "%q is not in canonical form; send %q", value, ip.String())
	}
	if p.public() {
		if where, ok := p.specialPurpose(ip); ok {
			return core.Errorf(core.ErrRejectedIdentifier,
				"%q is %s, which a public CA cannot certify", value, where)
		}
	}
	if p.blocked.blocksIP(ip) {
		return core.Errorf(core.ErrRejectedIdentifier, "%q is on the CA's block list", value)
	}
	return nil
}

// specialPurpose says where ip lies, if that makes it uncertifiable by a
// public CA.
func (p *Policy) specialPurpose(ip netip.Addr) (string, bool) {
	for _, r := range p.special {
		if r.Contains(ip) {
			return "in the special-purpose range " + r.String(), true
		}
	}
	// IANA allocates global unicast IPv6 only from 2000::/3.
	if ip.Is6() && ip.As16()[0]&0xe0 != 0x20 {
		return "outside the IPv6 global unicast space 2000::/3", true
	}
	return "", false
}

// specialPurposeRanges are the entries of the IANA IPv4 and IPv6
// Special-Purpose Address Registries (the Baseline Requirements' "Reserved
// IP Address"), plus multicast.
func specialPurposeRanges() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
		"192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48",
		"100::/64", "100:0:0:1::/64", "2001::/23", "2001:db8::/32", "2002::/16",
		"2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}
