package nonce

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quarry-ca/quarry/internal/core"
)

func TestRedeem(t *testing.T) {
	ctx := context.Background()
	s, err := New(Config{MaxOutstanding: 3})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := s.Nonce(ctx)
	tests := []struct {
		name    string
		nonce   func() string
		wantErr bool
	}{
		{"fresh nonce", func() string { n, _ := s.Nonce(ctx); return n }, false},
		{"used twice", func() string { n, _ := s.Nonce(ctx); _ = s.Redeem(ctx, n); return n }, true},
		{"unknown", func() string { return "AAAAAAAAAAAAAAAAAAAAAA" }, true},
		{"malformed", func() string { return "short" }, true},
		{"empty", func() string { return "" }, true},
		{"evicted past the bound", func() string {
			for range 3 {
				_, _ = s.Nonce(ctx)
			}
			return first
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Redeem(ctx, tt.nonce())
			if tt.wantErr && !errors.Is(err, core.ErrBadNonce) {
				t.Fatalf("got %v, want badNonce", err)
			}
			if !tt.wantErr && err != nil {
				t.Fatalf("got %v, want success", err)
			}
		})
	}
}

func TestBoundedMemory(t *testing.T) {
	ctx := context.Background()
	s, _ := New(Config{MaxOutstanding: 10})
	for range 1000 {
		if _, err := s.Nonce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(s.outstanding); got != 10 {
		t.Errorf("got %d outstanding nonces, want 10", got)
	}
}

func TestConcurrentRedeemOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := New(Config{})
	n, _ := s.Nonce(ctx)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.Redeem(ctx, n) == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := ok.Load(); got != 1 {
		t.Errorf("got %d successful redemptions, want exactly 1", got)
	}
}

func BenchmarkIssueRedeem(b *testing.B) {
	ctx := context.Background()
	s, _ := New(Config{})
	b.ReportAllocs()
	for b.Loop() {
		n, _ := s.Nonce(ctx)
		if err := s.Redeem(ctx, n); err != nil {
			b.Fatal(err)
		}
	}
}
