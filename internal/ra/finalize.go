package ra

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/core"
)

// Finalize checks the CSR against a ready order, signs the certificate and
// returns the order as it then is. Concurrent finalizations of one order
// yield one certificate: the ready→processing step is a compare-and-set.
func (r *RA) Finalize(ctx context.Context, acct *core.Account, order *core.Order, authzs []*core.Authorization, csr *x509.CertificateRequest) (*core.Order, error) {
	now := r.now()
	if st := core.OrderStatus(order, authzs, now); st != acme.StatusReady {
		return nil, core.Errorf(core.ErrOrderNotReady, "order is %s, not ready", st)
	}
	accountKey, err := publicKey(acct.Key)
	if err != nil {
		return nil, err
	}
	if err := r.pol.CheckCSR(csr, order.Identifiers, accountKey); err != nil {
		return nil, err
	}
	if err := r.checkNotBlocked(ctx, csr.PublicKey); err != nil {
		return nil, err
	}
	if err := r.recheckCAA(ctx, authzs, now); err != nil {
		return nil, err
	}
	// The certificate limits are spent here, not at newOrder, so orders
	// that passed newOrder's check together cannot overshoot them; every
	// path below that issues nothing gives the spend back.
	res, err := r.lim.Certificate(ctx, r.orderLimits(ctx, order))
	if err != nil {
		return nil, err
	}
	if err := r.store.SetOrderStatus(ctx, order.ID, acme.StatusPending, acme.StatusProcessing, nil); err != nil {
		r.refund(ctx, res)
		if errors.Is(err, core.ErrConflict) {
			return nil, core.Errorf(core.ErrOrderNotReady, "order is already being finalized")
		}
		return nil, fmt.Errorf("marking order processing: %w", err)
	}
	if err := r.claimReplacement(ctx, order); err != nil {
		r.refund(ctx, res)
		return nil, err
	}
	// Signing must not be abandoned half-way when the client hangs up: the
	// order would stay processing forever.
	done := make(chan error, 1)
	err = r.background(func() { done <- r.issue(context.WithoutCancel(ctx), order, csr) })
	if err != nil {
		_ = r.store.SetOrderStatus(context.WithoutCancel(ctx), order.ID, acme.StatusProcessing, acme.StatusPending, nil)
		r.refund(ctx, res)
		return nil, err
	}
	if err := <-done; err != nil {
		r.refund(ctx, res)
		return nil, err
	}
	updated, err := r.store.GetOrder(ctx, order.ID)
	if err != nil {
		return nil, fmt.Errorf("reloading order: %w", err)
	}
	return updated, nil
}

// issue signs and stores the certificate, or marks the order invalid.
func (r *RA) issue(ctx context.Context, order *core.Order, csr *x509.CertificateRequest) error {
	req := ca.IssueRequest{PublicKey: csr.PublicKey, Profile: order.Profile, CommonName: commonName(order, csr)}
	for _, id := range order.Identifiers {
		if id.Type == acme.IdentifierIP {
			req.IPs = append(req.IPs, net.ParseIP(id.Value))
		} else {
			req.DNSNames = append(req.DNSNames, id.Value)
		}
	}
	issued, err := r.ca.Issue(ctx, req)
	if err != nil {
		r.log.ErrorContext(ctx, "issuance failed", slog.Int64("order", order.ID), slog.String("error", err.Error()))
		failure := core.AsError(err)
		if failure.Kind == core.ErrServerInternal {
			failure = core.Errorf(core.ErrServerInternal, "the certificate could not be issued")
		}
		if serr := r.store.SetOrderStatus(ctx, order.ID, acme.StatusProcessing, acme.StatusInvalid, failure); serr != nil {
			r.log.ErrorContext(ctx, "marking order invalid", slog.Int64("order", order.ID), slog.String("error", serr.Error()))
		}
		return failure
	}
	cert := &core.Certificate{
		Serial: issued.Serial, AccountID: order.AccountID, OrderID: order.ID, IssuerID: issued.IssuerID,
		DER: issued.DER, Names: identifierValues(order.Identifiers),
		NotBefore: issued.NotBefore, NotAfter: issued.NotAfter, IssuedAt: r.now(),
		Shard: issued.Shard,
	}
	if err := r.store.FinalizeOrder(ctx, order.ID, cert); err != nil {
		return fmt.Errorf("storing certificate: %w", err)
	}
	r.log.LogAttrs(ctx, slogAudit, "certificate issued", attrAcct(order.AccountID), slog.Int64("order", order.ID),
		slog.String("serial", issued.Serial), slog.String("issuer", issued.IssuerID), slog.String("names", strings.Join(cert.Names, ",")))
	return nil
}

// commonName keeps the CSR's CN when it asked for one, otherwise the first
// DNS name that fits in a CN.
func commonName(order *core.Order, csr *x509.CertificateRequest) string {
	if cn := strings.ToLower(csr.Subject.CommonName); cn != "" {
		return cn
	}
	for _, id := range order.Identifiers {
		if id.Type == acme.IdentifierDNS && len(id.Value) <= 64 {
			return id.Value
		}
	}
	return ""
}

func identifierValues(ids []acme.Identifier) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.Value
	}
	return out
}

// publicKey parses a stored account JWK.
func publicKey(jwk []byte) (crypto.PublicKey, error) {
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(jwk); err != nil {
		return nil, fmt.Errorf("parsing stored account key: %w", err)
	}
	return k.Key, nil
}

// GetCertificate returns an issued certificate with its chains, default first.
func (r *RA) GetCertificate(ctx context.Context, serial string) (*core.Certificate, [][]*x509.Certificate, error) {
	cert, err := r.store.GetCertificate(ctx, serial)
	if err != nil {
		return nil, nil, fmt.Errorf("getting certificate: %w", err)
	}
	return cert, r.ca.Chains(cert.IssuerID), nil
}
