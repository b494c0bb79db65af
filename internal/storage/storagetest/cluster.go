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
	exp := clusterNow.Add(time.Minute)
	steps := []struct {
		name  string
		store storage.ClusterStore
		id    string
		want  bool
	}{
		{"first use, on a", a, "nonce-id-0001", true},
		{"second use, on b", b, "nonce-id-0001", false},
		{"third use, on a", a, "nonce-id-0001", false},
		{"another nonce, on b", b, "nonce-id-0002", true},
	}
	for _, s := range steps {
		got, err := s.store.UseNonce(ctx, []byte(s.id), exp)
		wantErr(t, "UseNonce "+s.name, err, nil)
		if got != s.want {
			t.Errorf("UseNonce %s: got first use %v, want %v", s.name, got, s.want)
		}
	}
}

func testNonceRedeemRace(t *testing.T, a, b storage.ClusterStore) {
	ctx := t.Context()
	for i := range 20 {
		id := []byte(fmt.Sprintf("race-nonce-%04d", i))
		wins := race(t, a, b, 8, "UseNonce", func(s storage.ClusterStore, _ int) (bool, error) {
			return s.UseNonce(ctx, id, clusterNow.Add(time.Minute))
		})
		if wins != 1 {
			t.Fatalf("nonce %d: got %d first uses across two handles, want exactly 1", i, wins)
		}
	}
}

// race runs try n times at once, alternately on a and b, and counts the
// calls that returned true.
func race(t *testing.T, a, b storage.ClusterStore, n int, what string, try func(s storage.ClusterStore, j int) (bool, error)) int32 {
	t.Helper()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for j := range n {
		s := a
		if j%2 == 1 {
			s = b
		}
		wg.Go(func() {
			ok, err := try(s, j)
			if err != nil {
				t.Errorf("%s: got error %v, want none", what, err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	return wins.Load()
}

func testSweepNonces(t *testing.T, a, b storage.ClusterStore) {
	ctx := t.Context()
	for i := range 5 {
		_, err := a.UseNonce(ctx, []byte(fmt.Sprintf("old-%d", i)), clusterNow.Add(-time.Duration(i+1)*time.Second))
		wantErr(t, "UseNonce", err, nil)
	}
	_, err := a.UseNonce(ctx, []byte("at-the-cut"), clusterNow)
	wantErr(t, "UseNonce", err, nil)
	_, err = a.UseNonce(ctx, []byte("fresh"), clusterNow.Add(time.Second))
	wantErr(t, "UseNonce", err, nil)
	n, err := b.SweepNonces(ctx, clusterNow)
	wantErr(t, "SweepNonces", err, nil)
	if n != 5 {
		t.Errorf("SweepNonces: got %d swept, want 5 (strictly before the cut)", n)
	}
	if n, _ := b.SweepNonces(ctx, clusterNow); n != 0 {
		t.Errorf("second SweepNonces: got %d swept, want 0", n)
	}
	for _, id := range []string{"fresh", "at-the-cut"} {
		if first, _ := a.UseNonce(ctx, []byte(id), clusterNow.Add(time.Second)); first {
			t.Errorf("UseNonce of %s, kept by the sweep: got first use, want already used", id)
		}
	}
	if first, _ := a.UseNonce(ctx, []byte("old-0"), clusterNow.Add(time.Minute)); !first {
		t.Error("UseNonce of a swept id: got already used, want first use (its record is gone)")
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
		wins := race(t, a, b, 6, "AcquireLease", func(s storage.ClusterStore, j int) (bool, error) {
			return s.AcquireLease(ctx, name, fmt.Sprintf("holder-%d", j), clusterNow, clusterNow.Add(time.Minute))
		})
		if wins != 1 {
			t.Fatalf("lease %s: got %d holders, want exactly 1", name, wins)
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
