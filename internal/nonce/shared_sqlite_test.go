package nonce_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/nonce"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
)

// TestSharedOnOneDatabase runs three instances, each with its own store
// handle on one SQLite file, as three quarry serve processes would.
func TestSharedOnOneDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "quarry.db")
	var inst []*nonce.Shared
	for range 3 {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatalf("Open: got error %v, want none", err)
		}
		t.Cleanup(func() { st.Close() })
		key, err := st.SharedSecret(ctx, "nonce-mac", []byte(t.Name()+"-0123456789abcdef0123456789"))
		if err != nil {
			t.Fatalf("SharedSecret: got error %v, want none", err)
		}
		s, err := nonce.NewShared(nonce.SharedConfig{Key: key}, st)
		if err != nil {
			t.Fatalf("NewShared: got error %v, want none", err)
		}
		inst = append(inst, s)
	}
	n, err := inst[0].Nonce(ctx)
	if err != nil {
		t.Fatalf("Nonce on A: got error %v, want none", err)
	}
	if err := inst[1].Redeem(ctx, n); err != nil {
		t.Fatalf("Redeem on B: got %v, want success", err)
	}
	if err := inst[2].Redeem(ctx, n); !errors.Is(err, core.ErrBadNonce) {
		t.Fatalf("Redeem again on C: got %v, want badNonce", err)
	}

	// Concurrent redemptions of one nonce on every instance: one wins.
	for range 10 {
		n, err := inst[0].Nonce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 9 {
			wg.Go(func() {
				if inst[i%3].Redeem(ctx, n) == nil {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if got := wins.Load(); got != 1 {
			t.Fatalf("got %d successful redemptions across three instances, want exactly 1", got)
		}
	}
}
