package policy

import (
	"crypto/x509"
	"net/netip"
	"slices"
	"strings"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// csrName is a name in the form compared between CSR and order: DNS names
// lower-cased, IP addresses in canonical text.
type csrName struct {
	typ   acme.IdentifierType
	value string
}

func (n csrName) String() string { return n.value }

// checkCSRNames requires the CSR's subjectAltName DNS names and IP
// addresses, plus its common name, to be exactly the order's identifiers.
func checkCSRNames(csr *x509.CertificateRequest, ids []acme.Identifier) *core.Error {
	if len(csr.EmailAddresses) > 0 || len(csr.URIs) > 0 {
		return errCSR("the CSR requests email or URI subject alternative names; only DNS names and IP addresses are issued")
	}
	got := make(map[csrName]bool)
	for _, d := range csr.DNSNames {
		got[csrName{acme.IdentifierDNS, strings.ToLower(d)}] = true
	}
	for _, raw := range csr.IPAddresses {
		ip, ok := netip.AddrFromSlice(raw)
		if !ok {
			return errCSR("the CSR has a malformed IP address subject alternative name")
		}
		got[csrName{acme.IdentifierIP, ip.Unmap().String()}] = true
	}
	want := make(map[csrName]bool, len(ids))
	for _, id := range ids {
		want[identifierName(id)] = true
	}
	if cn := csr.Subject.CommonName; cn != "" {
		n := commonName(cn)
		if !want[n] {
			return errCSR("the CSR's common name %q is not one of the order's identifiers", cn)
		}
		got[n] = true
	}
	if len(got) == 0 {
		return errCSR("the CSR contains no names; list the order's identifiers in its subjectAltName extension")
	}
	missing, extra := difference(want, got), difference(got, want)
	if len(missing) == 0 && len(extra) == 0 {
		return nil
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing from the CSR: "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "not in the order: "+strings.Join(extra, ", "))
	}
	return errCSR("the CSR's names do not match the order's identifiers (%s)", strings.Join(parts, "; "))
}

// identifierName puts an order identifier in comparison form.
func identifierName(id acme.Identifier) csrName {
	if id.Type == acme.IdentifierIP {
		if ip, err := netip.ParseAddr(id.Value); err == nil {
			return csrName{acme.IdentifierIP, ip.Unmap().String()}
		}
	}
	return csrName{id.Type, strings.ToLower(id.Value)}
}

// commonName reads a CN as an IP address when it is one, else a DNS name.
func commonName(cn string) csrName {
	if ip, err := netip.ParseAddr(cn); err == nil && ip.Zone() == "" {
		return csrName{acme.IdentifierIP, ip.Unmap().String()}
	}
	return csrName{acme.IdentifierDNS, strings.ToLower(cn)}
}

// difference returns the values in a but not in b, sorted.
func difference(a, b map[csrName]bool) []string {
	var out []string
	for n := range a {
		if !b[n] {
			out = append(out, n.String())
		}
	}
	slices.Sort(out)
	return out
}
