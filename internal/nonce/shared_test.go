package nonce

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// memStore is a Store in a map that counts the calls reaching it.
type memStore struct {
	mu    sync.Mutex
	used  map[string]time.Time
	calls int
	fail  error
}

func newMemStore() *memStore { return &memStore{used: map[string]time.Time{}} }

func (m *memStore) UseNonce(_ context.Context, id []byte, exp time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail != nil {
		return false, m.fail
	}
	if _, dup := m.used[string(id)]; dup {
		return false, nil
	}
	m.used[string(id)] = exp
	return true, nil
}

func (m *memStore) SweepNonces(_ context.Context, before time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for id, exp := range m.used {
		if exp.Before(before) {
			delete(m.used, id)
			n++
		}
	}
	return n, nil
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newShared(t *testing.T, key []byte, store Store, clock *fakeClock) *Shared {
	t.Helper()
	s, err := NewShared(SharedConfig{Key: key, Lifetime: time.Minute, Clock: clock.now}, store)
	if err != nil {
		t.Fatalf("NewShared: got error %v, want none", err)
	}
	return s
}

func TestSharedAcrossInstances(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	a, b, c := newShared(t, testKey, store, clock), newShared(t, testKey, store, clock), newShared(t, testKey, store, clock)
	n, err := a.Nonce(ctx)
	if err != nil {
		t.Fatalf("Nonce: got error %v, want none", err)
	}
	if err := b.Redeem(ctx, n); err != nil {
		t.Fatalf("redeeming a's nonce on b: got %v, want success", err)
	}
	if err := c.Redeem(ctx, n); !errors.Is(err, core.ErrBadNonce) {
		t.Fatalf("redeeming it again on c: got %v, want badNonce", err)
	}
}

func TestSharedRedeem(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	otherKey := []byte(strings.Repeat("k", 32))
	tests := []struct {
		name        string
		nonce       func(t *testing.T, s *Shared, clock *fakeClock) string
		wantErr     bool
		wantStoreOp bool // whether the redemption may reach the store
	}{
		{"fresh", func(t *testing.T, s *Shared, _ *fakeClock) string { return mustShared(t, s) }, false, true},
		{"just before expiry", func(t *testing.T, s *Shared, c *fakeClock) string {
			n := mustShared(t, s)
			c.t = c.t.Add(time.Minute - time.Second)
			return n
		}, false, true},
		{"expired", func(t *testing.T, s *Shared, c *fakeClock) string {
			n := mustShared(t, s)
			c.t = c.t.Add(time.Minute)
			return n
		}, true, false},
		{"empty", func(*testing.T, *Shared, *fakeClock) string { return "" }, true, false},
		{"wrong length", func(*testing.T, *Shared, *fakeClock) string { return "AAAAAAAAAAAAAAAAAAAAAA" }, true, false},
		{"not base64url", func(t *testing.T, s *Shared, _ *fakeClock) string {
			n := mustShared(t, s)
			return "+" + n[1:]
		}, true, false},
		{"forged with another key", func(t *testing.T, _ *Shared, c *fakeClock) string {
			other := newShared(t, otherKey, newMemStore(), c)
			return mustShared(t, other)
		}, true, false},
		{"tampered expiry", func(t *testing.T, s *Shared, _ *fakeClock) string {
			raw, _ := base64.RawURLEncoding.DecodeString(mustShared(t, s))
			raw[sharedIDLen+sharedExpLen-1]++
			return base64.RawURLEncoding.EncodeToString(raw)
		}, true, false},
		{"already used", func(t *testing.T, s *Shared, _ *fakeClock) string {
			n := mustShared(t, s)
			if err := s.Redeem(context.Background(), n); err != nil {
				t.Fatalf("first redeem: got %v, want success", err)
			}
			return n
		}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemStore()
			clock := &fakeClock{t: start}
			s := newShared(t, testKey, store, clock)
			n := tt.nonce(t, s, clock)
			err := s.Redeem(ctx, n)
			if tt.wantErr && !errors.Is(err, core.ErrBadNonce) {
				t.Fatalf("got %v, want badNonce", err)
			}
			if !tt.wantErr && err != nil {
				t.Fatalf("got %v, want success", err)
			}
			if got := store.calls > 0; got != tt.wantStoreOp {
				t.Errorf("got store consulted %v, want %v", got, tt.wantStoreOp)
			}
		})
	}
}

func TestSharedStoreFailure(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	s := newShared(t, testKey, store, &fakeClock{t: time.Now()})
	n := mustShared(t, s)
	store.fail = errors.New("database is locked")
	err := s.Redeem(ctx, n)
	if err == nil || errors.Is(err, core.ErrBadNonce) {
		t.Fatalf("redeem with a failing store: got %v, want an unclassified error (served as serverInternal)", err)
	}
	if _, err := s.Nonce(ctx); err != nil {
		t.Fatalf("Nonce with a failing store: got %v, want a nonce (issuing writes nothing)", err)
	}
}

func TestSharedSweep(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := newShared(t, testKey, store, clock)
	for range 3 {
		if err := s.Redeem(ctx, mustShared(t, s)); err != nil {
			t.Fatal(err)
		}
	}
	clock.t = clock.t.Add(30 * time.Second)
	keep := mustShared(t, s)
	if err := s.Redeem(ctx, keep); err != nil {
		t.Fatal(err)
	}
	// The first three expire at +1m; the sweep waits out the grace.
	clock.t = clock.t.Add(31*time.Second + sweepGrace)
	n, err := s.Sweep(ctx)
	if err != nil || n != 3 {
		t.Fatalf("Sweep: got %d, %v; want 3 swept", n, err)
	}
	if len(store.used) != 1 {
		t.Errorf("after the sweep: got %d used nonces kept, want 1", len(store.used))
	}
}

func TestSharedIssueWritesNothing(t *testing.T) {
	store := newMemStore()
	s := newShared(t, testKey, store, &fakeClock{t: time.Now()})
	for range 100 {
		mustShared(t, s)
	}
	if store.calls != 0 {
		t.Errorf("issuing 100 nonces: got %d store calls, want 0", store.calls)
	}
}

func TestSharedConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     SharedConfig
		store   Store
		wantErr bool
	}{
		{"defaults", SharedConfig{Key: testKey}, newMemStore(), false},
		{"short key", SharedConfig{Key: testKey[:31]}, newMemStore(), true},
		{"no store", SharedConfig{Key: testKey}, nil, true},
		{"negative lifetime", SharedConfig{Key: testKey, Lifetime: -time.Second}, newMemStore(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewShared(tt.cfg, tt.store)
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func mustShared(t *testing.T, s *Shared) string {
	t.Helper()
	n, err := s.Nonce(context.Background())
	if err != nil {
		t.Fatalf("Nonce: got error %v, want none", err)
	}
	return n
}

func FuzzSharedRedeem(f *testing.F) {
	store := newMemStore()
	s, _ := NewShared(SharedConfig{Key: testKey}, store)
	n, _ := s.Nonce(context.Background())
	f.Add(n)
	f.Add("")
	f.Add(strings.Repeat("A", 54))
	f.Fuzz(func(t *testing.T, in string) {
		// Anything but an issued nonce is refused as badNonce.
		err := s.Redeem(context.Background(), in)
		if err != nil && !errors.Is(err, core.ErrBadNonce) {
			t.Fatalf("Redeem(%q): got %v, want nil or badNonce", in, err)
		}
	})
}
