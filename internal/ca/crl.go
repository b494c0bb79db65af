package ca

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// crlSigner is a certificate whose key signs CRLs: a leaf issuer, or a root
// whose one shard covers the intermediates under it (caCerts).
type crlSigner struct {
	cert    *x509.Certificate
	signer  crypto.Signer
	spec    keySpec
	caCerts bool
}

// CRLScope is one CRL issuer and how many shards it publishes.
type CRLScope struct {
	IssuerID string
	Shards   int
	// CACerts marks a root's CRL, which lists intermediates, not leaves.
	CACerts bool
}

// CRLScopes lists every CRL the hierarchy publishes, sorted by issuer ID.
func (c *CA) CRLScopes() []CRLScope {
	var out []CRLScope
	for id, s := range c.crlSigners {
		shards := c.cfg.CRLShards
		if s.caCerts {
			shards = 1 // intermediates name <root>/0.crl
		}
		out = append(out, CRLScope{IssuerID: id, Shards: shards, CACerts: s.caCerts})
	}
	slices.SortFunc(out, func(a, b CRLScope) int { return strings.Compare(a.IssuerID, b.IssuerID) })
	return out
}

// RevokedEntries streams a shard's revoked certificates to fn (serial in
// lower-case hex, RFC 5280 reason code), stopping at fn's first error.
type RevokedEntries func(fn func(serial string, revokedAt time.Time, reason int) error) error

// CRLRequest names the CRL to sign.
type CRLRequest struct {
	IssuerID   string
	Shard      int
	Number     int64 // the CRL number; must grow with every CRL of the shard
	ThisUpdate time.Time
	NextUpdate time.Time
}

// SignCRL signs one shard's CRL with its issuer's key, lints it with
// zlint's CRL lints, and returns the DER. A lint error blocks it.
func (c *CA) SignCRL(ctx context.Context, req CRLRequest, entries RevokedEntries) ([]byte, error) {
	s, ok := c.crlSigners[req.IssuerID]
	if !ok {
		return nil, core.Errorf(core.ErrNotFound, "no CRL issuer %q", req.IssuerID)
	}
	shards := c.cfg.CRLShards
	if s.caCerts {
		shards = 1
	}
	if req.Shard < 0 || req.Shard >= shards {
		return nil, core.Errorf(core.ErrNotFound, "CRL issuer %s has no shard %d", req.IssuerID, req.Shard)
	}
	if req.Number < 1 || !req.NextUpdate.After(req.ThisUpdate) {
		return nil, core.Errorf(core.ErrServerInternal, "CRL %d of %s: want a positive number and nextUpdate after thisUpdate", req.Number, req.IssuerID)
	}
	entryDER, count, cut, err := encodeEntries(entries, c.crlLintPrefix)
	if err != nil {
		return nil, err
	}
	idp, err := issuingDistributionPoint(c.cfg.crlURL(req.IssuerID, req.Shard), s.caCerts)
	if err != nil {
		return nil, internalError{err}
	}
	req.ThisUpdate, req.NextUpdate = req.ThisUpdate.UTC().Truncate(time.Second), req.NextUpdate.UTC().Truncate(time.Second)
	tbs, err := tbsCertList(s, req, entryDER, idp)
	if err != nil {
		return nil, internalError{fmt.Errorf("encoding CRL %d of %s shard %d: %w", req.Number, req.IssuerID, req.Shard, err)}
	}
	der, sig, err := signTBS(s, tbs)
	if err != nil {
		return nil, internalError{fmt.Errorf("CRL %d of %s shard %d: %w", req.Number, req.IssuerID, req.Shard, err)}
	}
	lintDER := der
	if cut < len(entryDER) {
		// A long CRL is linted on a copy holding its first crlLintPrefix
		// entries, with the real signature, which does not verify on it.
		if lintDER, err = lintCopy(s, req, entryDER[:cut], idp, sig); err != nil {
			return nil, err
		}
	}
	if err := c.lintCRL(ctx, lintDER, req); err != nil {
		return nil, err
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "CRL signed", slog.String("issuer", req.IssuerID), slog.Int("shard", req.Shard),
		slog.Int64("number", req.Number), slog.Int("entries", count), slog.Time("next_update", req.NextUpdate))
	return der, nil
}

// defaultCRLLintPrefix is how many entries the linter sees: every entry of a CRL up
// to that size, the first ones of a longer CRL. Each entry is checked as
// it is encoded (positive serial, valid reason) and serials are unique in
// storage, so the prefix stands for the rest; linting a million entries
// would cost seconds and a gigabyte.
const defaultCRLLintPrefix = 100_000

func lintCopy(s *crlSigner, req CRLRequest, entries []byte, idp pkix.Extension, sig []byte) ([]byte, error) {
	tbs, err := tbsCertList(s, req, entries, idp)
	if err != nil {
		return nil, internalError{fmt.Errorf("encoding the lint copy of a CRL: %w", err)}
	}
	der, err := certList(s, tbs, sig)
	if err != nil {
		return nil, internalError{fmt.Errorf("encoding the lint copy of a CRL: %w", err)}
	}
	return der, nil
}

// validReason reports whether reason is a CRLReason (RFC 5280 §5.3.1);
// 7 is unused. Reason 0 is left out of the entry, as the BRs require.
func validReason(reason int) bool { return reason >= 0 && reason <= 10 && reason != 7 }
