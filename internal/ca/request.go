package ca

import (
	"crypto"
	"net"
	"slices"
	"strings"

	"github.com/quarry-ca/quarry/internal/core"
)

// IssueRequest is what the registration authority asks to have signed. Its
// names were already checked by policy; the CA checks only what it needs to
// build a coherent certificate.
type IssueRequest struct {
	PublicKey  crypto.PublicKey
	DNSNames   []string
	IPs        []net.IP
	CommonName string // "" = none; else one of the names
	Profile    string // a configured profile's name; "" is the default
}

// checked is an IssueRequest that passed checkRequest, names de-duplicated.
type checked struct {
	spec     keySpec
	dnsNames []string
	ips      []net.IP
	cn       string
}

// checkRequest checks req against the profile it will be issued under. A
// profile without a CN drops the requested one: the name is in the SAN.
func checkRequest(req IssueRequest, prof Profile) (*checked, error) {
	if !prof.CommonName {
		req.CommonName = ""
	}
	if req.PublicKey == nil {
		return nil, core.Errorf(core.ErrBadPublicKey, "no public key")
	}
	spec, err := specOf(req.PublicKey)
	if err != nil {
		return nil, core.Errorf(core.ErrBadPublicKey, "%s", err)
	}
	out := &checked{spec: spec, cn: req.CommonName}
	for _, name := range req.DNSNames {
		if name == "" {
			return nil, core.Errorf(core.ErrMalformed, "empty DNS name")
		}
		if !slices.Contains(out.dnsNames, name) {
			out.dnsNames = append(out.dnsNames, name)
		}
	}
	for _, ip := range req.IPs {
		if len(ip) != net.IPv4len && len(ip) != net.IPv6len {
			return nil, core.Errorf(core.ErrMalformed, "invalid IP address")
		}
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		if !slices.ContainsFunc(out.ips, ip.Equal) {
			out.ips = append(out.ips, ip)
		}
	}
	if len(out.dnsNames) == 0 && len(out.ips) == 0 {
		return nil, core.Errorf(core.ErrMalformed, "no names to certify")
	}
	if out.cn != "" {
		name, ok := out.findName(out.cn)
		if !ok {
			return nil, core.Errorf(core.ErrBadCSR, "common name %q is not one of the certificate's names", out.cn)
		}
		out.cn = name // the SAN's own spelling, so the CN is exactly one of them
	}
	if len(out.cn) > 64 {
		return nil, core.Errorf(core.ErrBadCSR, "common name is longer than 64 characters")
	}
	return out, nil
}

// findName returns the DNS name equal to s ignoring case, or the IP whose
// textual form s is.
func (c *checked) findName(s string) (string, bool) {
	for _, n := range c.dnsNames {
		if strings.EqualFold(n, s) {
			return n, true
		}
	}
	if ip := net.ParseIP(s); ip != nil {
		for _, have := range c.ips {
			if have.Equal(ip) {
				return have.String(), true
			}
		}
	}
	return "", false
}
