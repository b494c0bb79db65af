package storagetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// issued stores a certificate through a processing order and returns it.
func (f *fixture) issued(t *testing.T, acct *core.Account) *core.Certificate {
	t.Helper()
	o := f.processingOrder(t, acct)
	cert := f.certificate(o)
	wantErr(t, "FinalizeOrder", f.s.FinalizeOrder(t.Context(), o.ID, cert), nil)
	return cert
}

func testReplacements(t *testing.T, f *fixture) {
	acct := f.account(t)
	replaced := func(t *testing.T, serial string, want bool) {
		t.Helper()
		got, err := f.s.Replaced(t.Context(), serial)
		wantErr(t, "Replaced", err, nil)
		if got != want {
			t.Errorf("Replaced(%s): got %v, want %v", serial, got, want)
		}
	}
	t.Run("claim, reclaim, refuse another", func(t *testing.T) {
		cert := f.issued(t, acct)
		replaced(t, cert.Serial, false)
		a, b := f.processingOrder(t, acct), f.processingOrder(t, acct)
		wantErr(t, "first claim", f.s.ClaimReplacement(t.Context(), cert.Serial, a.ID), nil)
		replaced(t, cert.Serial, true)
		wantErr(t, "same order again", f.s.ClaimReplacement(t.Context(), cert.Serial, a.ID), nil)
		wantErr(t, "another order", f.s.ClaimReplacement(t.Context(), cert.Serial, b.ID), core.ErrAlreadyReplaced)
	})
	t.Run("an invalid order's claim is taken over", func(t *testing.T) {
		cert := f.issued(t, acct)
		a, b := f.processingOrder(t, acct), f.processingOrder(t, acct)
		wantErr(t, "claim by a", f.s.ClaimReplacement(t.Context(), cert.Serial, a.ID), nil)
		wantErr(t, "a fails", f.s.SetOrderStatus(t.Context(), a.ID, acme.StatusProcessing, acme.StatusInvalid, testError()), nil)
		replaced(t, cert.Serial, false)
		wantErr(t, "claim by b", f.s.ClaimReplacement(t.Context(), cert.Serial, b.ID), nil)
		replaced(t, cert.Serial, true)
		wantErr(t, "a back", f.s.ClaimReplacement(t.Context(), cert.Serial, a.ID), core.ErrAlreadyReplaced)
	})
	t.Run("unknown certificate", func(t *testing.T) {
		o := f.processingOrder(t, acct)
		wantErr(t, "ClaimReplacement", f.s.ClaimReplacement(t.Context(), "00ff", o.ID), core.ErrNotFound)
		replaced(t, "00ff", false)
	})
	t.Run("concurrent claims: one wins", func(t *testing.T) {
		cert := f.issued(t, acct)
		const n = 8
		orders := make([]*core.Order, n)
		for i := range orders {
			orders[i] = f.processingOrder(t, acct)
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range orders {
			wg.Go(func() { errs[i] = f.s.ClaimReplacement(t.Context(), cert.Serial, orders[i].ID) })
		}
		wg.Wait()
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, core.ErrAlreadyReplaced):
				t.Errorf("claim %d: got %v, want nil or alreadyReplaced", i, err)
			}
		}
		if wins != 1 {
			t.Errorf("got %d winning claims, want 1", wins)
		}
	})
}

func testBlockedKeys(t *testing.T, f *fixture) {
	h1, h2 := sha256.Sum256([]byte("key one")), sha256.Sum256([]byte("key two"))
	blocked := func(t *testing.T, h []byte, want bool) {
		t.Helper()
		got, err := f.s.KeyBlocked(t.Context(), h)
		wantErr(t, "KeyBlocked", err, nil)
		if got != want {
			t.Errorf("KeyBlocked(%x…): got %v, want %v", h[:4], got, want)
		}
	}
	blocked(t, h1[:], false)
	wantErr(t, "BlockKey", f.s.BlockKey(t.Context(), h1[:], "01", f.now), nil)
	blocked(t, h1[:], true)
	blocked(t, h2[:], false)
	wantErr(t, "BlockKey again", f.s.BlockKey(t.Context(), bytes.Clone(h1[:]), "02", f.now), nil)
	blocked(t, h1[:], true)
	if err := f.s.BlockKey(t.Context(), []byte("short"), "03", f.now); err == nil {
		t.Error("BlockKey with a 5-byte hash: got nil, want an error")
	}
}
