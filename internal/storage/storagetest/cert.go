package storagetest

import (
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func testFinalizeOrder(t *testing.T, f *fixture) {
	acct := f.account(t)
	t.Run("stores certificate", func(t *testing.T) {
		o := f.processingOrder(t, acct)
		cert := f.certificate(o)
		wantErr(t, "FinalizeOrder", f.s.FinalizeOrder(t.Context(), o.ID, cert), nil)
		got, err := f.s.GetOrder(t.Context(), o.ID)
		wantErr(t, "GetOrder", err, nil)
		want := normOrder(o)
		want.Status, want.CertSerial = acme.StatusValid, cert.Serial
		same(t, "order after FinalizeOrder", normOrder(got), want)
		stored, err := f.s.GetCertificate(t.Context(), cert.Serial)
		wantErr(t, "GetCertificate", err, nil)
		same(t, "GetCertificate", normCert(stored), normCert(cert))
	})
	tests := []struct {
		name    string
		setup   func(t *testing.T) (orderID int64, cert *core.Certificate)
		wantErr error
	}{
		{"order pending", func(t *testing.T) (int64, *core.Certificate) {
			o := f.order(t, acct, nil, f.pending(acct, "a.example"))
			return o.ID, f.certificate(o)
		}, core.ErrConflict},
		{"order already valid", func(t *testing.T) (int64, *core.Certificate) {
			o := f.processingOrder(t, acct)
			wantErr(t, "first FinalizeOrder", f.s.FinalizeOrder(t.Context(), o.ID, f.certificate(o)), nil)
			return o.ID, f.certificate(o)
		}, core.ErrConflict},
		{"serial already stored", func(t *testing.T) (int64, *core.Certificate) {
			first := f.processingOrder(t, acct)
			cert := f.certificate(first)
			wantErr(t, "first FinalizeOrder", f.s.FinalizeOrder(t.Context(), first.ID, cert), nil)
			o := f.processingOrder(t, acct)
			dup := f.certificate(o)
			dup.Serial = cert.Serial
			return o.ID, dup
		}, core.ErrConflict},
		{"order missing", func(t *testing.T) (int64, *core.Certificate) {
			return 1 << 40, f.certificate(&core.Order{ID: 1 << 40, AccountID: acct.ID})
		}, core.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orderID, cert := tc.setup(t)
			before, beforeErr := f.s.GetOrder(t.Context(), orderID)
			wantErr(t, "FinalizeOrder", f.s.FinalizeOrder(t.Context(), orderID, cert), tc.wantErr)
			after, afterErr := f.s.GetOrder(t.Context(), orderID)
			if beforeErr == nil && afterErr == nil {
				same(t, "order after failed FinalizeOrder", normOrder(after), normOrder(before))
			}
			if stored, err := f.s.GetCertificate(t.Context(), cert.Serial); err == nil && stored.OrderID == orderID {
				t.Errorf("failed FinalizeOrder: got certificate %s stored for order %d, want none", cert.Serial, orderID)
			}
		})
	}
}

func testRevokeCertificate(t *testing.T, f *fixture) {
	acct := f.account(t)
	o := f.processingOrder(t, acct)
	cert := f.certificate(o)
	wantErr(t, "FinalizeOrder", f.s.FinalizeOrder(t.Context(), o.ID, cert), nil)
	at := f.now.Add(time.Hour)
	steps := []struct {
		name    string
		reason  int
		at      time.Time
		wantErr error
	}{
		{"revoke", 1, at, nil},
		{"already revoked", 4, at.Add(time.Hour), core.ErrAlreadyRevoked},
	}
	for _, st := range steps {
		wantErr(t, st.name, f.s.RevokeCertificate(t.Context(), cert.Serial, st.reason, st.at), st.wantErr)
	}
	got, err := f.s.GetCertificate(t.Context(), cert.Serial)
	wantErr(t, "GetCertificate", err, nil)
	want := normCert(cert)
	want.Revoked, want.RevokedAt, want.RevocationReason = true, at, 1
	same(t, "certificate after revocation", normCert(got), want)
}

func testValidAuthorizedNames(t *testing.T, f *fixture) {
	acct, other := f.account(t), f.account(t)
	hour := f.now.Add(time.Hour)
	f.store(t, acct,
		f.authz(acct, "v.example", acme.StatusValid, hour),
		f.authz(acct, "*.w.example", acme.StatusValid, hour),
		f.authz(acct, "old.example", acme.StatusValid, f.now),
		f.authz(acct, "p.example", acme.StatusPending, hour),
		f.authz(acct, "d.example", acme.StatusDeactivated, hour),
		f.authz(acct, "192.0.2.1", acme.StatusValid, hour),
		f.authz(acct, "2001:db8::1", acme.StatusValid, hour),
	)
	f.store(t, other, f.authz(other, "o.example", acme.StatusValid, hour))
	want := map[string]bool{
		"v.example":     true,
		"*.w.example":   true,
		"192.0.2.1":     true,
		"2001:db8::1":   true,
		"*.v.example":   false, // a plain authorization does not cover the wildcard
		"w.example":     false, // nor the wildcard the plain name
		"old.example":   false, // expired
		"p.example":     false,
		"d.example":     false,
		"o.example":     false, // another account's
		"never.example": false,
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	got, err := f.s.ValidAuthorizedNames(t.Context(), acct.ID, names, f.now)
	wantErr(t, "ValidAuthorizedNames", err, nil)
	for _, n := range names {
		if got[n] != want[n] {
			t.Errorf("ValidAuthorizedNames: got %s %v, want %v", n, got[n], want[n])
		}
	}
	t.Run("empty", func(t *testing.T) {
		got, err := f.s.ValidAuthorizedNames(t.Context(), acct.ID, nil, f.now)
		wantErr(t, "ValidAuthorizedNames", err, nil)
		if len(got) != 0 {
			t.Errorf("ValidAuthorizedNames(nil): got %v, want empty", got)
		}
	})
}
