package storagetest

import (
	"context"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// testNotFound asks for rows that do not exist, in a store that holds
// others, so a backend cannot pass by returning the first row it has.
func testNotFound(t *testing.T, f *fixture) {
	acct := f.account(t)
	o := f.processingOrder(t, acct)
	const missing = 1 << 40
	dns := acme.Identifier{Type: acme.IdentifierDNS, Value: "missing.example"}
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"GetAccount", func(ctx context.Context) error { _, err := f.s.GetAccount(ctx, missing); return err }},
		{"GetAccountByKeyID", func(ctx context.Context) error { _, err := f.s.GetAccountByKeyID(ctx, "missing"); return err }},
		{"UpdateAccount", func(ctx context.Context) error {
			return f.s.UpdateAccount(ctx, &core.Account{ID: missing, KeyID: "missing", Status: acme.StatusValid})
		}},
		{"GetOrder", func(ctx context.Context) error { _, err := f.s.GetOrder(ctx, missing); return err }},
		{"SetOrderStatus", func(ctx context.Context) error {
			return f.s.SetOrderStatus(ctx, missing, acme.StatusPending, acme.StatusProcessing, nil)
		}},
		{"GetAuthorization", func(ctx context.Context) error { _, err := f.s.GetAuthorization(ctx, missing); return err }},
		{"GetAuthorizations", func(ctx context.Context) error {
			_, err := f.s.GetAuthorizations(ctx, []int64{missing})
			return err
		}},
		{"FindValidAuthorization", func(ctx context.Context) error {
			_, err := f.s.FindValidAuthorization(ctx, acct.ID, dns, false, f.now)
			return err
		}},
		{"FindPendingAuthorization", func(ctx context.Context) error {
			_, err := f.s.FindPendingAuthorization(ctx, acct.ID, dns, false, f.now)
			return err
		}},
		{"StartChallenge", func(ctx context.Context) error { return f.s.StartChallenge(ctx, missing) }},
		{"FinishChallenge", func(ctx context.Context) error {
			return f.s.FinishChallenge(ctx, &core.Authorization{ID: missing, Status: acme.StatusValid, Expires: f.now},
				&core.Challenge{ID: missing, AuthzID: missing, Status: acme.StatusValid, Validated: f.now})
		}},
		{"DeactivateAuthorization", func(ctx context.Context) error { return f.s.DeactivateAuthorization(ctx, missing) }},
		{"FinalizeOrder", func(ctx context.Context) error {
			cert := f.certificate(o)
			cert.OrderID = missing
			return f.s.FinalizeOrder(ctx, missing, cert)
		}},
		{"GetCertificate", func(ctx context.Context) error { _, err := f.s.GetCertificate(ctx, "00ff"); return err }},
		{"RevokeCertificate", func(ctx context.Context) error { return f.s.RevokeCertificate(ctx, "00ff", 0, f.now) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.name, tc.call(t.Context()), core.ErrNotFound)
		})
	}
}
