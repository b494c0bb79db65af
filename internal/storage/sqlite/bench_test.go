package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// The benchmarks time one transaction of each kind the RA commits on its
// busy paths, with the durable (synchronous=FULL) settings Open uses. Put
// the temp directory on a real disk (TMPDIR) to see fsync's cost.

func BenchmarkNewAccount(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	b.ReportAllocs()
	for i := range b.N {
		a := &core.Account{Key: []byte(`{"kty":"OKP"}`), KeyID: fmt.Sprintf("key-%d", i), Status: acme.StatusValid,
			Contact: []string{"mailto:a@example.com"}, CreatedAt: now}
		if err := s.NewAccount(b.Context(), a); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewOrder3Authzs(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	acct := newAccount(b, s, 0)
	b.ReportAllocs()
	for range b.N {
		azs := []*core.Authorization{benchAuthz(acct, "a.example"), benchAuthz(acct, "b.example"), benchAuthz(acct, "c.example")}
		o := &core.Order{AccountID: acct.ID, Status: acme.StatusPending, Expires: now.Add(time.Hour), CreatedAt: now,
			Identifiers: []acme.Identifier{azs[0].Identifier, azs[1].Identifier, azs[2].Identifier}}
		if err := s.NewOrder(b.Context(), o, azs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFinishChallenge(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	acct := newAccount(b, s, 0)
	azs := make([]*core.Authorization, 0, b.N)
	for len(azs) < b.N { // set up in batches: one order carries many
		batch := make([]*core.Authorization, min(500, b.N-len(azs)))
		for i := range batch {
			batch[i] = benchAuthz(acct, fmt.Sprintf("h%d.example", len(azs)+i))
		}
		o := &core.Order{AccountID: acct.ID, Status: acme.StatusPending, Expires: now.Add(time.Hour), CreatedAt: now}
		if err := s.NewOrder(b.Context(), o, batch); err != nil {
			b.Fatal(err)
		}
		azs = append(azs, batch...)
	}
	records := []acme.ValidationRecord{{URL: "http://h.example/", Hostname: "h.example", Port: "80", AddressUsed: "192.0.2.1"}}
	b.ReportAllocs()
	b.ResetTimer()
	for _, az := range azs {
		ch := *az.Challenges[0]
		ch.Status, ch.Validated, ch.Records = acme.StatusValid, now, records
		done := *az
		done.Status, done.Expires = acme.StatusValid, now.Add(30*24*time.Hour)
		if err := s.FinishChallenge(b.Context(), &done, &ch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFinalizeOrder(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	acct := newAccount(b, s, 0)
	first := &core.Order{AccountID: acct.ID, Status: acme.StatusProcessing, Expires: now.Add(time.Hour), CreatedAt: now}
	if err := s.NewOrder(b.Context(), first, []*core.Authorization{benchAuthz(acct, "a.example")}); err != nil {
		b.Fatal(err)
	}
	orders := []*core.Order{first}
	for len(orders) < b.N {
		o := &core.Order{AccountID: acct.ID, Status: acme.StatusProcessing, Expires: now.Add(time.Hour), CreatedAt: now,
			AuthzIDs: first.AuthzIDs}
		if err := s.NewOrder(b.Context(), o, nil); err != nil {
			b.Fatal(err)
		}
		orders = append(orders, o)
	}
	der := make([]byte, 1200) // about an ECDSA leaf
	b.ReportAllocs()
	b.ResetTimer()
	for i, o := range orders[:b.N] {
		cert := &core.Certificate{Serial: fmt.Sprintf("%032x", i+1), AccountID: acct.ID, OrderID: o.ID, IssuerID: "ecdsa",
			DER: der, Names: []string{"a.example"}, NotBefore: now, NotAfter: now.Add(90 * 24 * time.Hour), IssuedAt: now}
		if err := s.FinalizeOrder(b.Context(), o.ID, cert); err != nil {
			b.Fatal(err)
		}
	}
}

func benchAuthz(acct *core.Account, name string) *core.Authorization {
	az := &core.Authorization{AccountID: acct.ID, Identifier: acme.Identifier{Type: acme.IdentifierDNS, Value: name},
		Status: acme.StatusPending, Expires: now.Add(time.Hour)}
	for i, typ := range []acme.ChallengeType{acme.ChallengeHTTP01, acme.ChallengeDNS01, acme.ChallengeTLSALPN01} {
		az.Challenges = append(az.Challenges, &core.Challenge{Type: typ, Status: acme.StatusPending, Token: fmt.Sprintf("%s-%d", name, i)})
	}
	return az
}
