package nonce

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/quarry-ca/quarry/internal/core"
)

func mustNew(t testing.TB, cfg Config) *Service {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustNonce(t testing.TB, s *Service) string {
	t.Helper()
	n, err := s.Nonce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRedeem(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		nonce   func(t *testing.T, s *Service) string
		wantErr bool
	}{
		{"fresh nonce", func(t *testing.T, s *Service) string { return mustNonce(t, s) }, false},
		{"used twice", func(t *testing.T, s *Service) string {
			n := mustNonce(t, s)
			if err := s.Redeem(ctx, n); err != nil {
				t.Fatalf("first redeem: got %v, want success", err)
			}
			return n
		}, true},
		{"unknown", func(*testing.T, *Service) string { return "AAAAAAAAAAAAAAAAAAAAAA" }, true},
		{"malformed", func(*testing.T, *Service) string { return "short" }, true},
		{"empty", func(*testing.T, *Service) string { return "" }, true},
		{"evicted past the bound", func(t *testing.T, s *Service) string {
			first := mustNonce(t, s)
			for range 3 {
				mustNonce(t, s)
			}
			return first
		}, true},
		{"oldest kept at the bound", func(t *testing.T, s *Service) string {
			first := mustNonce(t, s)
			mustNonce(t, s)
			mustNonce(t, s)
			return first
		}, false},
		{"redeemed nonces do not count toward the bound", func(t *testing.T, s *Service) string {
			first := mustNonce(t, s)
			for range 10 {
				if err := s.Redeem(ctx, mustNonce(t, s)); err != nil {
					t.Fatal(err)
				}
			}
			return first
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustNew(t, Config{MaxOutstanding: 3})
			err := s.Redeem(ctx, tt.nonce(t, s))
			if tt.wantErr && !errors.Is(err, core.ErrBadNonce) {
				t.Fatalf("got %v, want badNonce", err)
			}
			if !tt.wantErr && err != nil {
				t.Fatalf("got %v, want success", err)
			}
		})
	}
}

func TestPrefix(t *testing.T) {
	s := mustNew(t, Config{Prefix: "i1-"})
	n := mustNonce(t, s)
	if !strings.HasPrefix(n, "i1-") {
		t.Fatalf("got nonce %q, want prefix i1-", n)
	}
	if err := s.Redeem(context.Background(), n); err != nil {
		t.Fatalf("got %v, want success", err)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"defaults", Config{}, false},
		{"negative bound", Config{MaxOutstanding: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestRandomnessFailure(t *testing.T) {
	s := mustNew(t, Config{Rand: iotest.ErrReader(errors.New("no entropy"))})
	if _, err := s.Nonce(context.Background()); err == nil {
		t.Fatal("got a nonce from a failing randomness source, want an error")
	}
}

func TestBoundedMemory(t *testing.T) {
	s := mustNew(t, Config{MaxOutstanding: 10})
	for range 1000 {
		mustNonce(t, s)
	}
	if got := s.outstanding(); got != 10 {
		t.Errorf("got %d outstanding nonces, want 10", got)
	}
	if got := s.age.Len(); got != 10 {
		t.Errorf("got %d queued nonces, want 10", got)
	}
}

func TestConcurrentRedeemOnce(t *testing.T) {
	ctx := context.Background()
	s := mustNew(t, Config{})
	for range 50 {
		n := mustNonce(t, s)
		var ok atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				if s.Redeem(ctx, n) == nil {
					ok.Add(1)
				}
			})
		}
		wg.Wait()
		if got := ok.Load(); got != 1 {
			t.Fatalf("got %d successful redemptions, want exactly 1", got)
		}
	}
}

func BenchmarkIssueRedeem(b *testing.B) {
	ctx := context.Background()
	s := mustNew(b, Config{})
	b.ReportAllocs()
	for b.Loop() {
		n, _ := s.Nonce(ctx)
		if err := s.Redeem(ctx, n); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssueRedeemParallel(b *testing.B) {
	ctx := context.Background()
	s := mustNew(b, Config{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n, _ := s.Nonce(ctx)
			if err := s.Redeem(ctx, n); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
