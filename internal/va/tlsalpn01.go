package va

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// alpnProto is the ALPN protocol name of tls-alpn-01 (RFC 8737 §6.2).
const alpnProto = "acme-tls/1"

// idPeACMEIdentifier is the acmeIdentifier extension OID, 1.3.6.1.5.5.7.1.31.
func idPeACMEIdentifier() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}
}

// validateTLSALPN01 connects with ALPN acme-tls/1 and checks the
// certificate the server presents for the identifier (RFC 8737 §3).
func (v *VA) validateTLSALPN01(ctx context.Context, req Request) ([]acme.ValidationRecord, error) {
	host := req.Identifier.Value
	rec := acme.ValidationRecord{Hostname: host, Port: strconv.Itoa(v.cfg.TLSPort)}
	records := func() []acme.ValidationRecord { return []acme.ValidationRecord{rec} }
	addrs, err := v.resolveHost(ctx, host, &rec)
	if err != nil {
		return records(), err
	}
	d := v.dial(ctx, addrs, v.cfg.TLSPort)
	where := host
	if d.addr.IsValid() {
		rec.AddressUsed = d.addr.String()
		where = rec.AddressUsed
	}
	target := urlHost(host, v.cfg.TLSPort, 0)
	if d.err != nil {
		kind, reason := describe(d.err, phaseConnect)
		return records(), core.Errorf(kind, "%s: Connecting to %s for tls-alpn-01: %s", where, target, reason)
	}
	conn := tls.Client(d.conn, &tls.Config{
		ServerName:         sniName(req.Identifier),
		NextProtos:         []string{alpnProto},
		InsecureSkipVerify: true, // the acmeIdentifier extension is what is checked
		MinVersion:         tls.VersionTLS12,
	})
	defer conn.Close()
	if err := conn.HandshakeContext(ctx); err != nil {
		kind, reason := describe(err, phaseConnected)
		return records(), core.Errorf(kind, "%s: Connecting to %s for tls-alpn-01: %s", where, target, reason)
	}
	state := conn.ConnectionState()
	if state.NegotiatedProtocol != alpnProto {
		return records(), core.Errorf(core.ErrUnauthorized, "%s: Cannot negotiate ALPN protocol %q with %s for tls-alpn-01 challenge",
			where, alpnProto, target)
	}
	if reason := checkALPNCert(state, req); reason != "" {
		return records(), core.Errorf(core.ErrUnauthorized, "%s: Incorrect validation certificate for tls-alpn-01 challenge from %s: %s",
			where, target, reason)
	}
	return records(), nil
}

// sniName is the server name to send: the DNS name, or for an IP address
// its reverse-mapping name (RFC 8738 §6).
func sniName(id acme.Identifier) string {
	if id.Type != acme.IdentifierIP {
		return id.Value
	}
	rev, err := dns.ReverseAddr(id.Value)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(rev, ".")
}

// checkALPNCert returns why the handshake's certificate does not prove
// control of the identifier, or "" when it does.
func checkALPNCert(state tls.ConnectionState, req Request) string {
	if len(state.PeerCertificates) == 0 {
		return "no certificate received"
	}
	leaf := state.PeerCertificates[0]
	if names := sanNames(leaf); len(names) != 1 || !sanMatches(leaf, req.Identifier) {
		return fmt.Sprintf("requested %s, received a certificate with subject alternative names [%s]",
			req.Identifier.Value, truncate(strings.Join(names, ", "), 200))
	}
	return checkACMEExtension(leaf, acme.TLSALPN01Digest(req.KeyAuthorization))
}

// checkACMEExtension checks that the acmeIdentifier extension is present,
// critical, and an OCTET STRING holding want.
func checkACMEExtension(leaf *x509.Certificate, want [32]byte) string {
	oid := idPeACMEIdentifier()
	for _, ext := range leaf.Extensions {
		if !ext.Id.Equal(oid) {
			continue
		}
		if !ext.Critical {
			return fmt.Sprintf("required extension OID %s (acmeIdentifier) is not critical", oid)
		}
		var got []byte
		rest, err := asn1.Unmarshal(ext.Value, &got)
		if err != nil || len(rest) != 0 || len(got) != len(want) {
			return fmt.Sprintf("extension OID %s (acmeIdentifier) is not an OCTET STRING of %d bytes", oid, len(want))
		}
		if subtle.ConstantTimeCompare(got, want[:]) != 1 {
			return fmt.Sprintf("expected acmeIdentifier extension value %x for this challenge but got %x", want, got)
		}
		return ""
	}
	return fmt.Sprintf("required extension OID %s (acmeIdentifier) is not present", oid)
}

// sanNames lists every subject alternative name of cert, of any type,
// each marked with its type as OpenSSL prints them.
func sanNames(cert *x509.Certificate) []string {
	var names []string
	for _, n := range cert.DNSNames {
		names = append(names, "DNS:"+n)
	}
	for _, ip := range cert.IPAddresses {
		names = append(names, "IP:"+ip.String())
	}
	for _, e := range cert.EmailAddresses {
		names = append(names, "email:"+e)
	}
	for _, u := range cert.URIs {
		names = append(names, "URI:"+u.String())
	}
	return names
}

// sanMatches reports whether cert's one name is the identifier itself.
func sanMatches(cert *x509.Certificate, id acme.Identifier) bool {
	switch id.Type {
	case acme.IdentifierDNS:
		return len(cert.DNSNames) == 1 && strings.EqualFold(cert.DNSNames[0], id.Value)
	case acme.IdentifierIP:
		want, err := netip.ParseAddr(id.Value)
		if err != nil || len(cert.IPAddresses) != 1 {
			return false
		}
		got, ok := netip.AddrFromSlice(cert.IPAddresses[0])
		return ok && got.Unmap() == want.Unmap()
	}
	return false
}
