package lease_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/lease"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
	"github.com/quarry-ca/quarry/internal/testclock"
)

func openStore(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: got error %v, want none", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newElector(t *testing.T, cfg lease.Config, st lease.Store) *lease.Elector {
	t.Helper()
	e, err := lease.New(cfg, st, nil)
	if err != nil {
		t.Fatalf("lease.New: got error %v, want none", err)
	}
	return e
}

// TestTakeoverFakeClock steps two instances through a lease's life on one
// SQLite file with a fake clock: A leads and renews, then dies; B takes
// over exactly when A's last renewal expires.
func TestTakeoverFakeClock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := testclock.New(start)
	cfg := lease.Config{Name: "jobs", TTL: 15 * time.Second, Renew: 5 * time.Second, Clock: clock.Now}
	cfgA, cfgB := cfg, cfg
	cfgA.Instance, cfgB.Instance = "a", "b"
	a, b := newElector(t, cfgA, openStore(t, path)), newElector(t, cfgB, openStore(t, path))
	steps := []struct {
		at      time.Duration
		who     string
		e       *lease.Elector
		wantLed bool
	}{
		{0, "A", a, true},
		{time.Second, "B", b, false},
		{5 * time.Second, "A", a, true},
		{10 * time.Second, "A", a, true}, // A's last renewal: the lease runs to 25s
		{15 * time.Second, "B", b, false},
		{24*time.Second + 999*time.Millisecond, "B", b, false},
		{25 * time.Second, "B", b, true},
		{26 * time.Second, "A", a, false}, // A comes back: B leads
		{30 * time.Second, "B", b, true},
	}
	for _, s := range steps {
		clock.Set(start.Add(s.at))
		if got := s.e.Tick(t.Context()); got != s.wantLed {
			t.Fatalf("at %v, %s.Tick: got leader %v, want %v", s.at, s.who, got, s.wantLed)
		}
	}
}

// crashable is a store that stops answering, as a killed process does:
// its lease is neither renewed nor released.
type crashable struct {
	lease.Store
	dead atomic.Bool
}

var errDead = errors.New("process is dead")

func (c *crashable) AcquireLease(ctx context.Context, name, holder string, now, exp time.Time) (bool, error) {
	if c.dead.Load() {
		return false, errDead
	}
	return c.Store.AcquireLease(ctx, name, holder, now, exp)
}

func (c *crashable) ReleaseLease(ctx context.Context, name, holder string) error {
	if c.dead.Load() {
		return errDead
	}
	return c.Store.ReleaseLease(ctx, name, holder)
}

// runner counts how many instances run the job at once.
type runner struct {
	running, maxRunning atomic.Int32
	started             chan string
}

func (r *runner) job(name string) func(ctx context.Context) {
	return func(ctx context.Context) {
		n := r.running.Add(1)
		for {
			m := r.maxRunning.Load()
			if n <= m || r.maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		r.started <- name
		<-ctx.Done()
		r.running.Add(-1)
	}
}

func waitStart(t *testing.T, r *runner, want string, within time.Duration) time.Duration {
	t.Helper()
	begin := time.Now()
	select {
	case got := <-r.started:
		if got != want {
			t.Fatalf("got the job started on %s, want %s", got, want)
		}
	case <-time.After(within):
		t.Fatalf("the job did not start on %s within %v", want, within)
	}
	return time.Since(begin)
}

// TestTakeoverRealStores runs two electors on two stores on one SQLite
// file in real time: exactly one runs the job; after the leader dies
// without releasing, the other takes over within the lease time; after a
// clean stop, at its next attempt.
func TestTakeoverRealStores(t *testing.T) {
	// Generous for a loaded machine: each attempt may take up to renew.
	const ttl, renew = 2 * time.Second, 400 * time.Millisecond
	path := filepath.Join(t.TempDir(), "q.db")
	r := &runner{started: make(chan string, 4)}
	storeA := &crashable{Store: openStore(t, path)}
	a := newElector(t, lease.Config{Name: "jobs", Instance: "a", TTL: ttl, Renew: renew}, storeA)
	b := newElector(t, lease.Config{Name: "jobs", Instance: "b", TTL: ttl, Renew: renew}, openStore(t, path))

	ctxA, stopA := context.WithCancel(t.Context())
	doneA := make(chan struct{})
	go func() { defer close(doneA); a.Run(ctxA, r.job("a")) }()
	waitStart(t, r, "a", 5*time.Second)

	ctxB, stopB := context.WithCancel(t.Context())
	doneB := make(chan struct{})
	go func() { defer close(doneB); b.Run(ctxB, r.job("b")) }()
	time.Sleep(ttl)
	if got := r.running.Load(); got != 1 {
		t.Fatalf("with two instances up: got %d running the job, want 1", got)
	}

	// A dies: its store stops answering, its jobs stop at its next failed
	// renewal, and B waits out the lease.
	storeA.dead.Store(true)
	took := waitStart(t, r, "b", 3*ttl)
	if took > ttl+3*renew {
		t.Errorf("takeover after a crash took %v, want at most the lease %v plus a few attempts", took, ttl)
	}
	stopA()
	<-doneA

	// B stops cleanly and releases; a fresh C takes over at its next try.
	c := newElector(t, lease.Config{Name: "jobs", Instance: "c", TTL: ttl, Renew: renew}, openStore(t, path))
	ctxC, stopC := context.WithCancel(t.Context())
	defer stopC()
	doneC := make(chan struct{})
	go func() { defer close(doneC); c.Run(ctxC, r.job("c")) }()
	time.Sleep(2 * renew)
	stopB()
	<-doneB
	took = waitStart(t, r, "c", 3*ttl)
	if took > 3*renew {
		t.Errorf("takeover after a release took %v, want about one attempt (%v)", took, renew)
	}
	stopC()
	<-doneC
	if got := r.maxRunning.Load(); got != 1 {
		t.Errorf("got up to %d instances running the job at once, want 1", got)
	}
}

func TestConfig(t *testing.T) {
	st := &crashable{}
	tests := []struct {
		name    string
		cfg     lease.Config
		store   lease.Store
		wantErr bool
	}{
		{"defaults", lease.Config{Name: "jobs"}, st, false},
		{"no name", lease.Config{}, st, true},
		{"no store", lease.Config{Name: "jobs"}, nil, true},
		{"renew too slow for the ttl", lease.Config{Name: "jobs", TTL: 10 * time.Second, Renew: 5 * time.Second}, st, true},
		{"negative ttl", lease.Config{Name: "jobs", TTL: -time.Second}, st, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := lease.New(tt.cfg, tt.store, nil)
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
