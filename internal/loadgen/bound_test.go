package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunStopsAtDuration: a server that never answers cannot hold the run
// past its time bound, and flows cut short are aborted, not failed.
func TestRunStopsAtDuration(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	resp, err := StartResponders(context.Background(), ResponderConfig{HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("starting responders: %v", err)
	}
	defer resp.Close()

	const d = 300 * time.Millisecond
	begin := time.Now()
	var calls atomic.Int32
	deps := Deps{ProgressEvery: 50 * time.Millisecond, Progress: func(time.Duration, int, int) { calls.Add(1) }}
	rep, err := Run(context.Background(), Config{DirectoryURL: srv.URL + "/dir", Concurrency: 3, Duration: d}, resp, deps)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if took := time.Since(begin); took < d || took > d+time.Second {
		t.Errorf("got a run of %s, want about %s", took, d)
	}
	if calls.Load() < 2 {
		t.Errorf("got %d progress calls, want at least 2", calls.Load())
	}
	if rep.Started != 3 || rep.Aborted != 3 || rep.Failed != 0 || rep.Succeeded != 0 {
		t.Errorf("got %d started, %d aborted, %d failed, %d succeeded; want 3, 3, 0, 0", rep.Started, rep.Aborted, rep.Failed, rep.Succeeded)
	}
}

func TestRunRefusesMissingResponder(t *testing.T) {
	resp, err := StartResponders(context.Background(), ResponderConfig{HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("starting responders: %v", err)
	}
	defer resp.Close()
	_, err = Run(context.Background(), Config{DirectoryURL: "https://127.0.0.1:1/dir", Flows: 1, Challenge: "dns-01"}, resp, Deps{})
	if err == nil {
		t.Fatal("got no error for dns-01 without a DNS responder, want one")
	}
}
