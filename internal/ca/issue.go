package ca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// Issued is a signed leaf.
type Issued struct {
	DER                 []byte
	Serial              string // lower-case hex
	IssuerID            string
	NotBefore, NotAfter time.Time
	Shard               int // the CRL shard in its distribution point
}

// Issue is prepare → lint → sign, and the only public way to sign a leaf.
// The profile decides the certificate's shape; IP addresses only go into
// a profile that allows them.
func (c *CA) Issue(ctx context.Context, req IssueRequest) (*Issued, error) {
	prof, err := c.cfg.profileFor(req.Profile)
	if err != nil {
		return nil, err
	}
	if len(req.IPs) > 0 && !prof.AllowIP {
		return nil, core.Errorf(core.ErrRejectedIdentifier, "the %s profile does not allow IP addresses", prof.Name)
	}
	tok, err := c.prepare(ctx, req, prof, c.cfg.PrivateNames)
	if err != nil {
		return nil, err
	}
	return c.sign(ctx, tok)
}

// issuanceToken carries a linted template from prepare to sign. Only
// prepare makes one and sign redeems it once, so nothing is ever signed
// with a real key that the linter did not pass.
type issuanceToken struct {
	ca      *CA
	issuer  *issuer
	pub     crypto.PublicKey
	lintTBS []byte // the tbsCertificate the linter saw

	mu       sync.Mutex
	template *x509.Certificate // nil once redeemed
}

func (t *issuanceToken) redeem(c *CA) (*x509.Certificate, error) {
	if t == nil || t.ca != c {
		return nil, core.Errorf(core.ErrServerInternal, "issuance token not from this CA")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	tmpl := t.template
	if tmpl == nil {
		return nil, core.Errorf(core.ErrServerInternal, "issuance token already used")
	}
	t.template = nil
	return tmpl, nil
}

// prepare builds the leaf template, signs a copy with the issuer's
// throwaway key, lints it, and returns a token for sign if nothing blocks.
func (c *CA) prepare(ctx context.Context, req IssueRequest, prof Profile, privateNames bool) (*issuanceToken, error) {
	chk, err := checkRequest(req, prof)
	if err != nil {
		return nil, err
	}
	iss := c.issuerFor(chk.spec)
	tmpl, err := c.leafTemplate(chk, prof, req.PublicKey, iss)
	if err != nil {
		return nil, err
	}
	if c.mutate != nil {
		c.mutate(tmpl)
	}
	lintDER, err := x509.CreateCertificate(rand.Reader, tmpl, iss.lintParent, req.PublicKey, iss.lintSigner)
	if err != nil {
		return nil, internalError{fmt.Errorf("signing the lint certificate: %w", err)}
	}
	failures, allowed, err := c.linter.check(lintDER, privateNames, prof.LintAllowWarn)
	if err != nil {
		return nil, internalError{err}
	}
	if len(allowed) > 0 {
		c.log.DebugContext(ctx, "allowed lint warnings", slog.String("serial", serialHex(tmpl.SerialNumber)),
			slog.String("profile", prof.Name), slog.String("lints", strings.Join(allowed, ",")))
	}
	if len(failures) > 0 {
		attrs := []slog.Attr{slog.String("issuer", iss.id), slog.String("serial", serialHex(tmpl.SerialNumber)),
			slog.String("profile", prof.Name), slog.String("lints", lintNames(failures))}
		for _, f := range failures {
			attrs = append(attrs, slog.String(f.name, fmt.Sprintf("%s: %s", f.status, f.details)))
		}
		c.log.LogAttrs(ctx, slog.LevelError, "pre-issuance lint blocked a certificate", attrs...)
		return nil, core.Errorf(core.ErrServerInternal, "the certificate failed pre-issuance lints: %s", lintNames(failures))
	}
	lintTBS, err := rawTBS(lintDER)
	if err != nil {
		return nil, internalError{fmt.Errorf("reading the lint certificate: %w", err)}
	}
	return &issuanceToken{ca: c, issuer: iss, pub: req.PublicKey, lintTBS: lintTBS, template: tmpl}, nil
}

// sign signs a prepared template with the issuer's real key. The result
// must be the very tbsCertificate the linter passed.
func (c *CA) sign(ctx context.Context, tok *issuanceToken) (*Issued, error) {
	tmpl, err := tok.redeem(c)
	if err != nil {
		return nil, err
	}
	iss := tok.issuer
	der, err := x509.CreateCertificate(rand.Reader, tmpl, iss.cert, tok.pub, iss.signer)
	if err != nil {
		return nil, internalError{fmt.Errorf("signing with %s: %w", iss.id, err)}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, internalError{fmt.Errorf("parsing the signed certificate: %w", err)}
	}
	if !bytes.Equal(cert.RawTBSCertificate, tok.lintTBS) {
		return nil, internalError{fmt.Errorf("signed certificate %s differs from the linted one", serialHex(cert.SerialNumber))}
	}
	serial := serialHex(cert.SerialNumber)
	c.log.LogAttrs(ctx, levelAudit, "certificate signed", slog.String("serial", serial), slog.String("issuer", iss.id),
		slog.String("names", strings.Join(certNames(cert), ",")), slog.Time("not_after", cert.NotAfter))
	return &Issued{DER: der, Serial: serial, IssuerID: iss.id, NotBefore: cert.NotBefore, NotAfter: cert.NotAfter,
		Shard: crlShard(cert.SerialNumber, c.cfg.CRLShards)}, nil
}

func certNames(cert *x509.Certificate) []string {
	names := append([]string(nil), cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		names = append(names, net.IP(ip).String())
	}
	return names
}
