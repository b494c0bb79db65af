// Package ratelimittest is the suite every ratelimit.Store must pass, so a
// new backend proves it keeps the atomicity contract before it is used.
package ratelimittest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/ratelimit"
)

// Opener returns n handles on one fresh, empty store. For a database they
// must be separate connection pools (separate processes, in effect) on the
// same database, so the races below cross them.
type Opener func(t *testing.T, n int) []ratelimit.Store

// base is the suite's fixed "now".
var base = time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("ApplyErrorWritesNothing", func(t *testing.T) { testApplyError(t, open) })
	t.Run("PastTATIsEmpty", func(t *testing.T) { testPastTAT(t, open) })
	t.Run("ContextCancelled", func(t *testing.T) { testCancelled(t, open) })
	t.Run("NoLostUpdates", func(t *testing.T) { testNoLostUpdates(t, open) })
	t.Run("RaceAdmitsExactlyK", func(t *testing.T) { testRaceExactlyK(t, open) })
}

// read returns the TATs the store holds for keys, through a no-op update.
func read(t *testing.T, s ratelimit.Store, now time.Time, keys ...string) map[string]time.Time {
	t.Helper()
	var got map[string]time.Time
	err := s.UpdateRateLimits(context.Background(), keys, now, func(tats map[string]time.Time) (map[string]time.Time, error) {
		got = make(map[string]time.Time, len(tats))
		for k, v := range tats {
			got[k] = v
		}
		return nil, nil
	})
	if err != nil {
		t.Fatalf("reading %v: %v", keys, err)
	}
	return got
}

func testRoundTrip(t *testing.T, open Opener) {
	s := open(t, 1)[0]
	ctx := context.Background()
	if got := read(t, s, base, "a", "b"); !got["a"].IsZero() || !got["b"].IsZero() {
		t.Fatalf("fresh store: got %v, want zero TATs", got)
	}
	ta, tb := base.Add(90*time.Second+123), base.Add(time.Hour)
	err := s.UpdateRateLimits(ctx, []string{"a", "b"}, base, func(map[string]time.Time) (map[string]time.Time, error) {
		return map[string]time.Time{"a": ta, "b": tb}, nil
	})
	if err != nil {
		t.Fatalf("writing: %v", err)
	}
	// A key apply leaves out keeps its TAT.
	tb2 := base.Add(2 * time.Hour)
	err = s.UpdateRateLimits(ctx, []string{"a", "b"}, base, func(map[string]time.Time) (map[string]time.Time, error) {
		return map[string]time.Time{"b": tb2}, nil
	})
	if err != nil {
		t.Fatalf("writing b: %v", err)
	}
	got := read(t, s, base, "a", "b", "c")
	for k, want := range map[string]time.Time{"a": ta, "b": tb2} {
		if !got[k].Equal(want) {
			t.Errorf("TAT of %s: got %v, want %v", k, got[k], want)
		}
	}
	if !got["c"].IsZero() {
		t.Errorf("TAT of unwritten c: got %v, want zero", got["c"])
	}
}

func testApplyError(t *testing.T, open Opener) {
	s := open(t, 1)[0]
	refused := core.Errorf(core.ErrRateLimited, "no")
	err := s.UpdateRateLimits(context.Background(), []string{"x", "y"}, base, func(map[string]time.Time) (map[string]time.Time, error) {
		return map[string]time.Time{"x": base.Add(time.Hour)}, refused
	})
	var ce *core.Error
	if !errors.As(err, &ce) || ce != refused {
		t.Fatalf("got %v, want apply's own error back", err)
	}
	if got := read(t, s, base, "x", "y"); !got["x"].IsZero() {
		t.Fatalf("after a refused apply: got %v, want nothing written", got)
	}
}

func testPastTAT(t *testing.T, open Opener) {
	s := open(t, 1)[0]
	err := s.UpdateRateLimits(context.Background(), []string{"old"}, base, func(map[string]time.Time) (map[string]time.Time, error) {
		return map[string]time.Time{"old": base.Add(time.Minute)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	later := base.Add(2 * time.Minute)
	if got := read(t, s, later, "old")["old"]; got.After(later) {
		t.Fatalf("TAT after it passed: got %v, want zero or at most %v", got, later)
	}
}

func testCancelled(t *testing.T, open Opener) {
	s := open(t, 1)[0]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.UpdateRateLimits(ctx, []string{"k"}, base, func(map[string]time.Time) (map[string]time.Time, error) {
		return map[string]time.Time{"k": base.Add(time.Hour)}, nil
	})
	if err == nil {
		t.Fatal("update with a cancelled context: got nil error")
	}
	if got := read(t, s, base, "k")["k"]; !got.IsZero() {
		t.Fatalf("after a cancelled update: got %v, want nothing written", got)
	}
}

// testNoLostUpdates moves two keys one second per update from many
// goroutines across handles; any update lost or torn shows in the totals.
func testNoLostUpdates(t *testing.T, open Opener) {
	const workers, each = 8, 10
	stores := open(t, 2)
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%len(stores)]
			for range each {
				errs <- s.UpdateRateLimits(context.Background(), []string{"p", "q"}, base, func(tats map[string]time.Time) (map[string]time.Time, error) {
					out := map[string]time.Time{}
					for _, k := range []string{"p", "q"} {
						tat := tats[k]
						if tat.IsZero() {
							tat = base
						}
						out[k] = tat.Add(time.Second)
					}
					return out, nil
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("update: %v", err)
		}
	}
	want := base.Add(workers * each * time.Second)
	got := read(t, stores[0], base, "p", "q")
	if !got["p"].Equal(want) || !got["q"].Equal(want) {
		t.Fatalf("after %d updates: got p=%v q=%v, want both %v", workers*each, got["p"], got["q"], want)
	}
}

// testRaceExactlyK sends N new orders at once through separate handles
// against a limit of K: exactly K are admitted.
func testRaceExactlyK(t *testing.T, open Opener) {
	const n, k = 40, 13
	stores := open(t, 2)
	clock := func() time.Time { return base }
	cfg := ratelimit.Config{Limits: map[ratelimit.Name]ratelimit.Limit{
		ratelimit.NewOrdersPerAccount: {Count: k, Period: time.Hour},
	}}
	limiters := make([]*ratelimit.Limiter, len(stores))
	for i, s := range stores {
		l, err := ratelimit.New(cfg, s, clock)
		if err != nil {
			t.Fatal(err)
		}
		limiters[i] = l
	}
	var (
		wg              sync.WaitGroup
		mu              sync.Mutex
		admitted, limit int
		other           []error
	)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := limiters[i%len(limiters)].NewOrder(context.Background(), ratelimit.OrderRequest{AccountID: 7})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				admitted++
			case errors.Is(err, core.ErrRateLimited):
				limit++
			default:
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("unexpected errors: %v", errors.Join(other...))
	}
	if admitted != k || limit != n-k {
		t.Fatalf("got %d admitted and %d refused, want %d and %d", admitted, limit, k, n-k)
	}
}
