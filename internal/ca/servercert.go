package ca

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"

	"github.com/quarry-ca/quarry/internal/core"
)

// ServerCertificate returns a TLS certificate for the ACME API listener,
// issued by the ECDSA intermediate (the RSA one if that is all there is)
// and kept under <dataDir>/tls/. The stored one is reused unless its names
// differ from names, it has less than a third of its lifetime left, or it no
// longer chains to the current issuer; then a new one is issued and stored.
func (c *CA) ServerCertificate(ctx context.Context, names []string) (tls.Certificate, error) {
	c.tlsMu.Lock()
	defer c.tlsMu.Unlock()
	want, err := normalizeNames(names)
	if err != nil {
		return tls.Certificate{}, err
	}
	dir := filepath.Join(c.cfg.DataDir, "tls")
	if err := ensureDir(dir, 0o700); err != nil {
		return tls.Certificate{}, caErr(err)
	}
	cert, err := c.storedServerCert(dir, want)
	if err == nil {
		return cert, nil
	}
	c.log.InfoContext(ctx, "issuing the API's TLS certificate", slog.String("reason", err.Error()),
		slog.String("names", strings.Join(want, ",")))
	return c.issueServerCert(ctx, dir, want)
}

// storedServerCert returns the stored certificate if it is still right,
// or an error saying why not.
func (c *CA) storedServerCert(dir string, want []string) (tls.Certificate, error) {
	certPEM, err := readOptional(filepath.Join(dir, "cert.pem"))
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := readOptional(filepath.Join(dir, "key.pem"))
	if err != nil {
		return tls.Certificate{}, err
	}
	if certPEM == nil || keyPEM == nil {
		return tls.Certificate{}, errors.New("none stored")
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("stored pair unusable: %w", err)
	}
	leaf := pair.Leaf
	if !slices.Equal(leafNames(leaf), want) {
		return tls.Certificate{}, errors.New("names changed")
	}
	now := c.cfg.Clock()
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter.Add(-leaf.NotAfter.Sub(leaf.NotBefore)/3)) {
		return tls.Certificate{}, errors.New("less than a third of its lifetime left")
	}
	iss := c.issuerFor(keySpec{typ: KeyECDSA})
	if err := leaf.CheckSignatureFrom(iss.cert); err != nil {
		return tls.Certificate{}, fmt.Errorf("not signed by issuer %s", iss.id)
	}
	return pair, nil
}

func (c *CA) issueServerCert(ctx context.Context, dir string, names []string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, caErr(fmt.Errorf("generating the API's TLS key: %w", err))
	}
	req := IssueRequest{PublicKey: key.Public()}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			req.IPs = append(req.IPs, ip)
		} else {
			req.DNSNames = append(req.DNSNames, n)
		}
	}
	// The API's own names are loopback addresses and local host names as
	// often as public ones, so the public-names lints do not apply.
	tok, err := c.prepare(ctx, req, c.serverProfile(), true)
	if err != nil {
		return tls.Certificate{}, err
	}
	issued, err := c.sign(ctx, tok)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(issued.DER)
	if err != nil {
		return tls.Certificate{}, caErr(err)
	}
	chain, pemChain := [][]byte{issued.DER}, certPEM(leaf)
	for _, ic := range c.Chains(issued.IssuerID)[0] {
		chain = append(chain, ic.Raw)
		pemChain = append(pemChain, certPEM(ic)...)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return tls.Certificate{}, caErr(err)
	}
	// Key first: a crash between the writes leaves a pair that does not
	// match, which the next start notices and replaces.
	if err := writeFileAtomic(filepath.Join(dir, "key.pem"), keyPEM, 0o600, replace); err != nil {
		return tls.Certificate{}, caErr(err)
	}
	if err := writeFileAtomic(filepath.Join(dir, "cert.pem"), pemChain, 0o644, replace); err != nil {
		return tls.Certificate{}, caErr(err)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

// normalizeNames lower-cases DNS names, puts IPs in canonical form, and
// sorts and de-duplicates, so stored and wanted names compare as sets.
func normalizeNames(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if ip := net.ParseIP(n); ip != nil {
			n = ip.String()
		}
		if n != "" {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, core.Errorf(core.ErrMalformed, "the API's TLS certificate needs at least one name")
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func leafNames(leaf *x509.Certificate) []string {
	var out []string
	for _, n := range certNames(leaf) {
		out = append(out, strings.ToLower(n))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// serverProfile shapes the API's own certificate: the classic lifetime,
// since it is renewed only at start, whatever the default profile is.
func (c *CA) serverProfile() Profile {
	p, ok := ProfileNamed(c.cfg.Profiles, ProfileClassic)
	if !ok {
		p = c.cfg.Profiles[0]
	}
	p.AllowIP = true
	return p
}
