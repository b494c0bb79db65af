package client

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"slices"

	"github.com/quarry-ca/quarry/acme"
)

// maxChain bounds the certificates accepted in one chain.
const maxChain = 10

// Certificate is one downloaded certificate chain.
type Certificate struct {
	URL string
	// PEM is the chain as served: leaf first, then its issuers.
	PEM []byte
	// Chain is PEM parsed, in the same order.
	Chain []*x509.Certificate
	// Alternates are the URLs of other chains for the same certificate
	// (Link rel="alternate", RFC 8555 §7.4.2).
	Alternates []string
}

// FetchCertificate downloads the certificate chain at url.
func (c *Client) FetchCertificate(ctx context.Context, url string) (*Certificate, error) {
	s, err := c.account(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.post(ctx, s, url, nil, contentPEMSet)
	if err != nil {
		return nil, fmt.Errorf("fetching certificate: %w", err)
	}
	chain, err := parseChain(res.body)
	if err != nil {
		return nil, fmt.Errorf("certificate from %s: %w", url, err)
	}
	return &Certificate{
		URL:        url,
		PEM:        res.body,
		Chain:      chain,
		Alternates: linkURLs(res.header, "alternate", res.url),
	}, nil
}

// FetchCertificateChains downloads the default chain at url and then every
// alternate chain it links to, default first.
func (c *Client) FetchCertificateChains(ctx context.Context, url string) ([]*Certificate, error) {
	def, err := c.FetchCertificate(ctx, url)
	if err != nil {
		return nil, err
	}
	out := []*Certificate{def}
	seen := []string{url}
	for _, alt := range def.Alternates {
		if slices.Contains(seen, alt) {
			continue
		}
		seen = append(seen, alt)
		cert, err := c.FetchCertificate(ctx, alt)
		if err != nil {
			return nil, fmt.Errorf("alternate chain: %w", err)
		}
		out = append(out, cert)
	}
	return out, nil
}

// parseChain reads a PEM chain: only CERTIFICATE blocks, at least one.
func parseChain(data []byte) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("unexpected PEM block %q", b.Type)
		}
		if len(chain) == maxChain {
			return nil, fmt.Errorf("chain longer than %d certificates", maxChain)
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing certificate %d: %w", len(chain), err)
		}
		chain = append(chain, cert)
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("no PEM certificate in response")
	}
	return chain, nil
}

// Revoke revokes a certificate (DER). With key nil the account key signs
// (the account must own the certificate or its names); otherwise key must be
// the certificate's own private key. reason is an RFC 5280 CRLReason code;
// 0 (unspecified) is sent as no reason.
func (c *Client) Revoke(ctx context.Context, certDER []byte, key crypto.Signer, reason int) error {
	dir, err := c.Directory(ctx)
	if err != nil {
		return err
	}
	req := acme.RevocationRequest{Certificate: base64.RawURLEncoding.EncodeToString(certDER)}
	if reason != 0 {
		req.Reason = &reason
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encoding revocation: %w", err)
	}
	s := signer{key: key}
	if key == nil {
		if s, err = c.account(ctx); err != nil {
			return err
		}
	}
	if _, err := c.post(ctx, s, dir.RevokeCert, payload, ""); err != nil {
		return fmt.Errorf("revoking certificate: %w", err)
	}
	return nil
}
