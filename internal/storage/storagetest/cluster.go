package storagetest

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/storage"
)

// RunCluster runs the suite of what instances sharing one database rely
// on. newPair must return two handles on one fresh, empty database (two
// connections pools, as two quarry processes would have), arranging their
// cleanup; the suite never closes them.
func RunCluster(t *testing.T, newPair func(t *testing.T) (a, b storage.ClusterStore)) {
	t.Helper()
	groups := []struct {
		name string
		run  func(t *testing.T, a, b storage.ClusterStore)
	}{
		{"Nonces", testNonces},
		{"NonceRedeemRace", testNonceRedeemRace},
		{"SweepNonces", testSweepNonces},
		{"Leases", testLeases},
		{"LeaseRace", testLeaseRace},
		{"SharedSecret", testSharedSecret},
		{"Ping", testPing},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			a, b := newPair(t)
			g.run(t, a, b)
		})
	}
}

var clusterNow = time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC)

func testNonces(t *testing.T, a, b storage.ClusterStore) {
	ctx := t.Context()
	live, expiring := []byte("live-nonce-id-01"), []byte("expiring-nonce-1")
	wantErr(t, "AddNonce", a.AddNonce(ctx, live, clusterNow.Add(time.Minute)), nil)
	wantErr(t, "AddNonce", a.AddNonce(ctx, expiring, clusterNow), nil)
	tests := []struct {
		name  string
		store storage.ClusterStore
		id    []byte
		want  bool
	}{
		{"issued on a, redeemed on b", b, live, true},
		{"second redemption on a", a, live, false},
		{"third redemption on b", b, live, false},
		{"unknown", a, []byte("never-issued-id"), false},
		{"expired at now", b, expiring, false},
		{"expired one redeemed again", a, expiring, false},
	}
	for _, tt := range tests {
		got, err := tt.store.RedeemNonce(ctx, tt.id, clusterNow)
		wantErr(t, "RedeemNonce "+tt.name, err, nil)
		if got != tt.want {
			t.Errorf("RedeemNonce %s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func testNonceRedeemRace(t *testing.T, a, b storage.ClusterStore) {
	ctx := t.Context()
	for i := range 20 {
		id := []byte(fmt.Sprintf("race-nonce-%04d", i))
		wantErr(t, "AddNonce", a.AddNonce(ctx, id, clusterNow.Add(time.Minute)), nil)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for j := range 8 {
			s := a
			if j%2 == 1 {
				s = b
			}
			wg.Go(func() {
				ok, err := s.RedeemNonce(ctx, id, clusterNow)
				if err != nil {
					t.Errorf("RedeemNonce: got error %v, want none", err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if got := wins.Load(); got != 1 {
			t.Fatalf("nonce %d: got %d successful redemptions across two handles, want exactly 1", i, got)
		}
	}
}

func testSweepNonces(t *testing.T, a, b storage.ClusterStore) {
	ctx := t.Context()
	for i := range 5 {
		wantErr(t, "AddNonce", a.AddNonce(ctx, []byte(fmt.Sprintf("old-%d", i)), clusterNow.Add(-time.Duration(i)*time.Second)), nil)
	}
	wantErr(t, "AddNonce", a.AddNonce(ctx, []byte("fresh"), clusterNow.Add(time.Second)), nil)
	n, err := b.SweepNonces(ctx, clusterNow)
	wantErr(t, "SweepNonces", err, nil)
	if n != 5 {
		t.Errorf("SweepNonces: got %d swept, want 5", n)
	}
	if n, _ := b.SweepNonces(ctx, clusterNow); n != 0 {
		t.Errorf("second SweepNonces: got %d swept, want 0", n)
	}
	ok, err := a.RedeemNonce(ctx, []byte("fresh"), clusterNow)
	wantErr(t, "RedeemNonce", err, nil)
	if !ok {
		t.Error("RedeemNonce of an unexpired nonce after a sweep: got false, want true")
	}
}

func testLeases(t *testing.T, a, b storage.ClusterStore) {
	ctx := t.Context()
	const ttl = 15 * time.Second
	at := func(s int) time.Time { return clusterNow.Add(time.Duration(s) * time.Second) }
	steps := []struct {
		name   string
		store  storage.ClusterStore
		holder string
		now    time.Time
		lease  string
		want   bool
	}{
		{"a takes a free lease", a, "A", at(0), "jobs", true},
		{"b cannot take it", b, "B", at(1), "jobs", false},
		{"a renews", a, "A", at(5), "jobs", true},
		{"b still cannot at the old expiry", b, "B", at(15), "jobs", false},
		{"another lease name is independent", b, "B", at(15), "other", true},
		{"b takes it once a stops renewing", b, "B", at(20), "jobs", true},
		{"a cannot take it back", a, "A", at(21), "jobs", false},
		{"b renews", b, "B", at(25), "jobs", true},
	}
	for _, s := range steps {
		got, err := s.store.AcquireLease(ctx, s.lease, s.holder, s.now, s.now.Add(ttl))
		wantErr(t, "AcquireLease "+s.name, err, nil)
		if got != s.want {
			t.Fatalf("AcquireLease %s: got %v, want %v", s.name, got, s.want)
		}
	}
	wantErr(t, "ReleaseLease by a non-holder", a.ReleaseLease(ctx, "jobs", "A"), nil)
	if got, _ := a.AcquireLease(ctx, "jobs", "A", at(26), at(41)); got {
		t.Fatal("AcquireLease after a non-holder's release: got true, want false")
	}
	wantErr(t, "ReleaseLease by the holder", b.ReleaseLease(ctx, "jobs", "B"), nil)
	if got, _ := a.AcquireLease(ctx, "jobs", "A", at(27), at(42)); !got {
		t.Fatal("AcquireLease right after the holder's release: got false, want true")
	}
}

func testLeaseRace(t *testing.T, a, b storage.ClusterStore) {
	ctx := t.Context()
	for round := range 10 {
		name := fmt.Sprintf("race-%d", round)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for j := range 6 {
			s := a
			if j%2 == 1 {
				s = b
			}
			wg.Go(func() {
				ok, err := s.AcquireLease(ctx, name, fmt.Sprintf("holder-%d", j), clusterNow, clusterNow.Add(time.Minute))
				if err != nil {
					t.Errorf("AcquireLease: got error %v, want none", err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if got := wins.Load(); got != 1 {
			t.Fatalf("lease %s: got %d holders, want exactly 1", name, got)
		}
	}
}

func testSharedSecret(t *testing.T, a, b storage.ClusterStore) {
	ctx := t.Context()
	first, err := a.SharedSecret(ctx, "nonce-mac", []byte("first-secret"))
	wantErr(t, "SharedSecret", err, nil)
	second, err := b.SharedSecret(ctx, "nonce-mac", []byte("second-secret"))
	wantErr(t, "SharedSecret", err, nil)
	if !bytes.Equal(first, []byte("first-secret")) || !bytes.Equal(second, first) {
		t.Errorf("SharedSecret: got %q then %q, want the first value both times", first, second)
	}
	other, err := b.SharedSecret(ctx, "other", []byte("x"))
	wantErr(t, "SharedSecret", err, nil)
	if string(other) != "x" {
		t.Errorf("SharedSecret of another name: got %q, want %q", other, "x")
	}
}

func testPing(t *testing.T, a, b storage.ClusterStore) {
	wantErr(t, "Ping a", a.Ping(t.Context()), nil)
	wantErr(t, "Ping b", b.Ping(t.Context()), nil)
}
