package crl_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/crl"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
)

// benchRevoked is how many revoked, unexpired certificates the benchmark's
// one shard holds: the worst case, since sharding divides it.
const benchRevoked = 1_000_000

// BenchmarkGenerate1MRevoked signs, lints and stores one CRL listing a
// million certificates streamed from SQLite, and reports the peak heap.
func BenchmarkGenerate1MRevoked(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.db")
	store, err := sqlite.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	c := testCA(b)
	issuerID := c.CRLScopes()[0].IssuerID
	now := time.Now().UTC()
	fillRevoked(b, store, path, issuerID, now)
	g, err := crl.New(crl.Config{}, crl.Deps{Store: store, Signer: c, Log: discard()})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	peak := sampleHeap()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := g.Generate(b.Context(), issuerID, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(base.HeapInuse)/(1<<20), "base-heap-MB")
	got, err := store.GetCRL(b.Context(), issuerID, 0)
	if err != nil {
		b.Fatal(err)
	}
	if n := len(mustParse(b, got.DER).RevokedCertificateEntries); n != benchRevoked {
		b.Fatalf("CRL: got %d entries, want %d", n, benchRevoked)
	}
	b.ReportMetric(float64(len(got.DER))/(1<<20), "crl-MB")
}

// fillRevoked inserts benchRevoked revoked certificates into shard 0 in
// one transaction, behind the Store's back: a million FinalizeOrder
// commits would take far longer than the benchmark.
func fillRevoked(b *testing.B, store *sqlite.Store, path, issuerID string, now time.Time) {
	b.Helper()
	acct := &core.Account{Key: []byte(`{"kty":"EC"}`), KeyID: "k", Status: acme.StatusValid, CreatedAt: now}
	if err := store.NewAccount(b.Context(), acct); err != nil {
		b.Fatal(err)
	}
	o := &core.Order{AccountID: acct.ID, Status: acme.StatusValid, Expires: now, CreatedAt: now}
	if err := store.NewOrder(b.Context(), o, nil); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // committed below
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO certificates (serial, account_id, order_id, issuer_id, der, names,
		not_before, not_after, issued_at, revoked, revoked_at, reason, shard) VALUES (?, ?, ?, ?, x'00', '[]', ?, ?, ?, 1, ?, ?, 0)`)
	if err != nil {
		b.Fatal(err)
	}
	reasons := []int{0, 1, 3, 4, 5}
	var raw [16]byte
	notAfter := now.Add(90 * 24 * time.Hour).UnixNano()
	for i := range benchRevoked {
		if _, err := rand.Read(raw[:]); err != nil {
			b.Fatal(err)
		}
		at := now.Add(-time.Duration(i) * time.Second).UnixNano()
		if _, err := stmt.ExecContext(ctx, "51"+hex.EncodeToString(raw[:]), acct.ID, o.ID, issuerID,
			now.UnixNano(), notAfter, now.UnixNano(), at, reasons[i%len(reasons)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// sampleHeap samples HeapInuse every few milliseconds until the returned
// function is called, which reports the highest value seen.
func sampleHeap() func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
