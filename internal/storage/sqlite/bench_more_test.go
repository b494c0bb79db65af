package sqlite_test

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
)

// The rest of the RA's transactions, and the reads of every request, on
// a database that already holds benchBacklog authorizations, so a query
// whose cost grows with the data shows it.

const benchBacklog = 20000

// backlog stores n pending authorizations (three challenges each) for
// acct, in orders of 500, and returns them.
func backlog(b *testing.B, s *sqlite.Store, acct *core.Account, n int) []*core.Authorization {
	b.Helper()
	azs := make([]*core.Authorization, 0, n)
	for len(azs) < n {
		batch := make([]*core.Authorization, min(500, n-len(azs)))
		for i := range batch {
			batch[i] = benchAuthz(acct, fmt.Sprintf("h%d.example", len(azs)+i))
		}
		o := &core.Order{AccountID: acct.ID, Status: acme.StatusPending, Expires: now.Add(time.Hour), CreatedAt: now}
		if err := s.NewOrder(b.Context(), o, batch); err != nil {
			b.Fatal(err)
		}
		azs = append(azs, batch...)
	}
	return azs
}

func BenchmarkStartChallenge(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	acct := newAccount(b, s, 0)
	azs := backlog(b, s, acct, max(b.N, benchBacklog))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.StartChallenge(b.Context(), azs[i].Challenges[0].ID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSetOrderStatus(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	acct := newAccount(b, s, 0)
	o := &core.Order{AccountID: acct.ID, Status: acme.StatusPending, Expires: now.Add(time.Hour), CreatedAt: now}
	if err := s.NewOrder(b.Context(), o, []*core.Authorization{benchAuthz(acct, "a.example")}); err != nil {
		b.Fatal(err)
	}
	states := [2]acme.Status{acme.StatusPending, acme.StatusProcessing}
	b.ReportAllocs()
	for i := range b.N {
		if err := s.SetOrderStatus(b.Context(), o.ID, states[i%2], states[(i+1)%2], nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRevokeCertificate(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	acct := newAccount(b, s, 0)
	o := &core.Order{AccountID: acct.ID, Status: acme.StatusProcessing, Expires: now.Add(time.Hour), CreatedAt: now}
	if err := s.NewOrder(b.Context(), o, []*core.Authorization{benchAuthz(acct, "a.example")}); err != nil {
		b.Fatal(err)
	}
	// One order, many certificates: FinalizeOrder needs a processing
	// order, so the certificates go in through fresh orders sharing the
	// authorization.
	serials := make([]string, b.N)
	for i := range serials {
		oi := &core.Order{AccountID: acct.ID, Status: acme.StatusProcessing, Expires: now.Add(time.Hour), CreatedAt: now, AuthzIDs: o.AuthzIDs}
		if err := s.NewOrder(b.Context(), oi, nil); err != nil {
			b.Fatal(err)
		}
		serials[i] = fmt.Sprintf("%032x", i+1)
		cert := &core.Certificate{Serial: serials[i], AccountID: acct.ID, OrderID: oi.ID, IssuerID: "ecdsa",
			DER: make([]byte, 1200), Names: []string{"a.example"}, NotBefore: now, NotAfter: now.Add(90 * 24 * time.Hour), IssuedAt: now}
		if err := s.FinalizeOrder(b.Context(), oi.ID, cert); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, serial := range serials {
		if err := s.RevokeCertificate(b.Context(), serial, 1, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewAccountParallel shows group commit: concurrent writers
// share commits, so the disk's sync is paid once per batch.
func BenchmarkNewAccountParallel(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	var n atomicCounter
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a := &core.Account{Key: []byte(`{"kty":"OKP"}`), KeyID: fmt.Sprintf("key-%d", n.next()), Status: acme.StatusValid, CreatedAt: now}
			if err := s.NewAccount(b.Context(), a); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetAccount(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	acct := newAccount(b, s, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetAccount(b.Context(), acct.ID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetAuthorization(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	acct := newAccount(b, s, 0)
	azs := backlog(b, s, acct, benchBacklog)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := s.GetAuthorization(b.Context(), azs[i%len(azs)].ID); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkGetOrder(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	acct := newAccount(b, s, 0)
	o := &core.Order{AccountID: acct.ID, Status: acme.StatusPending, Expires: now.Add(time.Hour), CreatedAt: now}
	if err := s.NewOrder(b.Context(), o, []*core.Authorization{benchAuthz(acct, "a.example")}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetOrder(b.Context(), o.ID); err != nil {
			b.Fatal(err)
		}
	}
}

type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) next() int64 { return c.n.Add(1) }
