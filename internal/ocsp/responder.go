package ocsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/core"
)

// Store reads a certificate's stored status.
type Store interface {
	GetCertificate(ctx context.Context, serial string) (*core.Certificate, error)
}

// Signer names the leaf issuers and signs responses for them.
type Signer interface {
	IssuerIDs() []string
	IssuerCertificate(issuerID string) (*x509.Certificate, bool)
	SignOCSP(ctx context.Context, req ca.OCSPRequest) ([]byte, error)
}

// Config says how long responses are valid and when they are re-signed.
type Config struct {
	// Validity is nextUpdate - thisUpdate; default 4 days, at most 10
	// (BRs 4.9.10). It must not exceed the CA's OCSP response validity.
	Validity time.Duration
	// RefreshBefore re-signs a cached response once less than this is left
	// before its nextUpdate; default 1 day, so no response served is older
	// than 3 days, within the BRs' 4.
	RefreshBefore time.Duration
	// MaxCached bounds the cache; default 100,000 responses.
	MaxCached int
}

// Defaults.
const (
	DefaultValidity      = ca.DefaultOCSPResponseValidity
	DefaultRefreshBefore = 24 * time.Hour
	DefaultMaxCached     = 100_000
	maxValidity          = 10 * 24 * time.Hour
)

// Deps are the responder's collaborators.
type Deps struct {
	Store  Store
	Signer Signer
	Log    *slog.Logger
	Clock  func() time.Time
}

// Responder answers OCSP requests. It is safe for concurrent use.
type Responder struct {
	cfg     Config
	store   Store
	signer  Signer
	log     *slog.Logger
	now     func() time.Time
	issuers []issuerHashes
	cache   *cache
}

// Response is a signed OCSP response and the times HTTP caching needs.
type Response struct {
	DER        []byte
	ThisUpdate time.Time
	NextUpdate time.Time
}

// New checks cfg, fills defaults and returns a responder for the signer's
// leaf issuers.
func New(cfg Config, deps Deps) (*Responder, error) {
	if deps.Store == nil || deps.Signer == nil {
		return nil, errors.New("ocsp: store and signer are required")
	}
	if cfg.Validity == 0 {
		cfg.Validity = DefaultValidity
	}
	if cfg.RefreshBefore == 0 {
		cfg.RefreshBefore = DefaultRefreshBefore
	}
	if cfg.MaxCached == 0 {
		cfg.MaxCached = DefaultMaxCached
	}
	switch {
	case cfg.Validity < time.Hour || cfg.Validity > maxValidity:
		return nil, fmt.Errorf("ocsp: response validity %v must be within 1h..10d", cfg.Validity)
	case cfg.RefreshBefore <= 0 || cfg.RefreshBefore >= cfg.Validity:
		return nil, fmt.Errorf("ocsp: refresh-before %v must be positive and shorter than the validity %v", cfg.RefreshBefore, cfg.Validity)
	case cfg.MaxCached < 1:
		return nil, errors.New("ocsp: the cache must hold at least one response")
	}
	r := &Responder{cfg: cfg, store: deps.Store, signer: deps.Signer, log: deps.Log, now: deps.Clock, cache: newCache(cfg.MaxCached)}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	for _, id := range deps.Signer.IssuerIDs() {
		cert, ok := deps.Signer.IssuerCertificate(id)
		if !ok {
			return nil, fmt.Errorf("ocsp: issuer %s has no certificate", id)
		}
		h, err := hashesOf(id, cert)
		if err != nil {
			return nil, err
		}
		r.issuers = append(r.issuers, h)
	}
	return r, nil
}

// Respond answers one DER OCSP request. A request that does not parse is
// core.ErrMalformed; one for an issuer Quarry does not sign leaves with
// is core.ErrUnauthorized (RFC 5019 §2.2.3). A serial the issuer never
// issued is answered "unknown".
func (r *Responder) Respond(ctx context.Context, der []byte) (*Response, error) {
	req, err := parseRequest(der)
	if err != nil {
		return nil, err
	}
	issuerID, ok := r.issuerOf(req)
	if !ok {
		return nil, core.Errorf(core.ErrUnauthorized, "this responder does not answer for that issuer")
	}
	st, err := r.status(ctx, issuerID, req.SerialNumber)
	if err != nil {
		return nil, err
	}
	key := cacheKey{issuerID: issuerID, serial: string(req.SerialNumber.Bytes()), hash: req.HashAlgorithm}
	now := r.now()
	if e, ok := r.cache.get(key); ok && e.status == st && !now.Before(e.resp.ThisUpdate) &&
		now.Before(e.resp.NextUpdate.Add(-r.cfg.RefreshBefore)) {
		return e.resp, nil
	}
	// x/crypto sets producedAt to the signing time truncated to the
	// minute; truncating thisUpdate alike keeps it at or before producedAt,
	// so no response claims a status known after it was signed.
	this := now.UTC().Truncate(time.Minute)
	signed, err := r.signer.SignOCSP(ctx, ca.OCSPRequest{
		IssuerID: issuerID, Serial: req.SerialNumber, Status: st.status, RevokedAt: st.revokedAt, Reason: st.reason,
		ThisUpdate: this, NextUpdate: this.Add(r.cfg.Validity), IssuerHash: req.HashAlgorithm,
	})
	if err != nil {
		return nil, fmt.Errorf("signing the OCSP response for %x: %w", req.SerialNumber, err)
	}
	resp := &Response{DER: signed, ThisUpdate: this, NextUpdate: this.Add(r.cfg.Validity)}
	r.cache.put(key, &entry{status: st, resp: resp})
	return resp, nil
}

// Revoked drops the cached responses of an issuer's CRL shard, so the next
// request for a certificate revoked there is signed afresh at once. It
// never blocks for long. Every request also compares the cached status with
// storage, so revocations through another instance are seen too.
func (r *Responder) Revoked(issuerID string, shard int) { r.cache.dropShard(issuerID, shard) }

// certStatus is what a response says about a certificate.
type certStatus struct {
	status    ca.OCSPStatus
	revokedAt time.Time
	reason    int
	shard     int // -1 when unknown
}

func (r *Responder) status(ctx context.Context, issuerID string, serial *big.Int) (certStatus, error) {
	unknown := certStatus{status: ca.OCSPUnknown, shard: -1}
	cert, err := r.store.GetCertificate(ctx, serial.Text(16))
	switch {
	case errors.Is(err, core.ErrNotFound):
		return unknown, nil
	case err != nil:
		return certStatus{}, fmt.Errorf("reading certificate %x: %w", serial, err)
	case cert.IssuerID != issuerID:
		return unknown, nil // ours, but from another issuer than the one asked about
	case cert.Revoked:
		return certStatus{status: ca.OCSPRevoked, revokedAt: cert.RevokedAt.UTC().Truncate(time.Second),
			reason: cert.RevocationReason, shard: cert.Shard}, nil
	}
	return certStatus{status: ca.OCSPGood, shard: cert.Shard}, nil
}

// issuerHashes are an issuer's name and key hashes under each CertID hash
// RFC 6960 clients use.
type issuerHashes struct {
	id        string
	name, key map[crypto.Hash][]byte
}

var certIDHashes = []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512}

func hashesOf(id string, cert *x509.Certificate) (issuerHashes, error) {
	var spki struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &spki); err != nil {
		return issuerHashes{}, fmt.Errorf("ocsp: issuer %s public key: %w", id, err)
	}
	h := issuerHashes{id: id, name: map[crypto.Hash][]byte{}, key: map[crypto.Hash][]byte{}}
	for _, alg := range certIDHashes {
		n := alg.New()
		n.Write(cert.RawSubject)
		h.name[alg] = n.Sum(nil)
		k := alg.New()
		k.Write(spki.PublicKey.RightAlign())
		h.key[alg] = k.Sum(nil)
	}
	return h, nil
}

func (r *Responder) issuerOf(req *ocsp.Request) (string, bool) {
	for _, h := range r.issuers {
		if bytes.Equal(h.name[req.HashAlgorithm], req.IssuerNameHash) && bytes.Equal(h.key[req.HashAlgorithm], req.IssuerKeyHash) {
			return h.id, true
		}
	}
	return "", false
}
