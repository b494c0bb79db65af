package storagetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// revokedRow is one row RevokedCertificates reports.
type revokedRow struct {
	Serial    string
	RevokedAt time.Time
	Reason    int
}

func testRevokedCertificates(t *testing.T, f *fixture) {
	acct := f.account(t)
	// issue stores a certificate of issuer and shard expiring at notAfter,
	// revoked with reason when reason >= 0.
	issue := func(issuer string, shard int, notAfter time.Time, reason int) *core.Certificate {
		o := f.processingOrder(t, acct)
		c := f.certificate(o)
		c.IssuerID, c.Shard, c.NotAfter = issuer, shard, notAfter
		wantErr(t, "FinalizeOrder", f.s.FinalizeOrder(t.Context(), o.ID, c), nil)
		if reason >= 0 {
			c.RevokedAt = f.now.Add(-time.Duration(f.next()) * time.Minute)
			wantErr(t, "RevokeCertificate", f.s.RevokeCertificate(t.Context(), c.Serial, reason, c.RevokedAt), nil)
		}
		return c
	}
	later := f.now.Add(24 * time.Hour)
	a := issue("e1", 3, later, 1)
	b := issue("e1", 3, later, 0)
	issue("e1", 3, later, -1)                      // not revoked
	issue("e1", 3, f.now, 4)                       // expired at now: leaves the CRL
	issue("e1", 3, f.now.Add(-time.Hour), 4)       // long expired
	issue("e1", 4, later, 1)                       // another shard
	issue("r1", 3, later, 1)                       // another issuer
	c := issue("e1", 3, f.now.Add(time.Second), 5) // expires just after now
	want := []revokedRow{{a.Serial, a.RevokedAt, 1}, {b.Serial, b.RevokedAt, 0}, {c.Serial, c.RevokedAt, 5}}
	slices.SortFunc(want, func(x, y revokedRow) int { return strings.Compare(x.Serial, y.Serial) })

	var got []revokedRow
	err := f.s.RevokedCertificates(t.Context(), "e1", 3, f.now, func(serial string, at time.Time, reason int) error {
		got = append(got, revokedRow{serial, at.UTC(), reason})
		return nil
	})
	wantErr(t, "RevokedCertificates", err, nil)
	slices.SortFunc(got, func(x, y revokedRow) int { return strings.Compare(x.Serial, y.Serial) })
	same(t, "RevokedCertificates", got, want)

	t.Run("empty shard", func(t *testing.T) {
		n := 0
		err := f.s.RevokedCertificates(t.Context(), "e1", 9, f.now, func(string, time.Time, int) error { n++; return nil })
		wantErr(t, "RevokedCertificates", err, nil)
		if n != 0 {
			t.Errorf("RevokedCertificates of an empty shard: got %d rows, want 0", n)
		}
	})
	t.Run("callback error stops", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := f.s.RevokedCertificates(t.Context(), "e1", 3, f.now, func(string, time.Time, int) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("RevokedCertificates: got %v after %d rows, want the callback's error after 1", err, n)
		}
	})
}

func testNextCRLNumber(t *testing.T, f *fixture) {
	steps := []struct {
		issuer string
		shard  int
		want   int64
	}{
		{"e1", 0, 1}, {"e1", 0, 2}, {"e1", 1, 1}, {"r1", 0, 1}, {"e1", 0, 3},
	}
	for _, st := range steps {
		got, err := f.s.NextCRLNumber(t.Context(), st.issuer, st.shard)
		wantErr(t, "NextCRLNumber", err, nil)
		if got != st.want {
			t.Errorf("NextCRLNumber(%s, %d): got %d, want %d", st.issuer, st.shard, got, st.want)
		}
	}
	t.Run("concurrent numbers are distinct", func(t *testing.T) {
		const n = 20
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			seen = map[int64]bool{}
		)
		for range n {
			wg.Go(func() {
				got, err := f.s.NextCRLNumber(t.Context(), "c1", 7)
				mu.Lock()
				defer mu.Unlock()
				if err != nil || seen[got] {
					t.Errorf("NextCRLNumber: got %d, %v, want a fresh number", got, err)
				}
				seen[got] = true
			})
		}
		wg.Wait()
		for i := int64(1); i <= n; i++ {
			if !seen[i] {
				t.Errorf("NextCRLNumber: number %d never handed out, want 1..%d", i, n)
			}
		}
	})
}

func testCRLs(t *testing.T, f *fixture) {
	crl := func(number int64) *core.CRL {
		return &core.CRL{IssuerID: "e1", Shard: 2, Number: number, DER: []byte(fmt.Sprintf("crl-%d", number)),
			ThisUpdate: f.now.Add(time.Duration(number) * time.Hour), NextUpdate: f.now.Add(7 * 24 * time.Hour)}
	}
	_, err := f.s.GetCRL(t.Context(), "e1", 2)
	wantErr(t, "GetCRL before any", err, core.ErrNotFound)
	steps := []struct {
		name string
		put  *core.CRL
		want *core.CRL
	}{
		{"first", crl(2), crl(2)},
		{"newer replaces", crl(5), crl(5)},
		{"older is ignored", crl(3), crl(5)},
		{"same number is ignored", func() *core.CRL { c := crl(5); c.DER = []byte("other"); return c }(), crl(5)},
	}
	for _, st := range steps {
		wantErr(t, "PutCRL "+st.name, f.s.PutCRL(t.Context(), st.put), nil)
		got, err := f.s.GetCRL(t.Context(), "e1", 2)
		wantErr(t, "GetCRL "+st.name, err, nil)
		got.ThisUpdate, got.NextUpdate = got.ThisUpdate.UTC(), got.NextUpdate.UTC()
		same(t, "GetCRL after "+st.name, got, st.want)
	}
	_, err = f.s.GetCRL(t.Context(), "e1", 3)
	wantErr(t, "GetCRL of another shard", err, core.ErrNotFound)
}
