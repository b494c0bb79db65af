package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPacerSlots(t *testing.T) {
	start := time.Unix(1000, 0)
	tests := []struct {
		name string
		rate float64
		want []time.Duration // offsets of the first slots from start
	}{
		{name: "4 per second", rate: 4, want: []time.Duration{0, 250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond}},
		{name: "half per second", rate: 0.5, want: []time.Duration{0, 2 * time.Second, 4 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPacer(start, tt.rate, func() time.Time { return start })
			for i, want := range tt.want {
				if got := p.next().Sub(start); got != want {
					t.Errorf("got slot %d at +%s, want +%s", i, got, want)
				}
			}
		})
	}
	if p := newPacer(start, 0, time.Now); p != nil {
		t.Errorf("got a pacer for rate 0, want nil (no limit)")
	}
}

func TestPacerWait(t *testing.T) {
	now := time.Now()
	late := newPacer(now.Add(-time.Hour), 1, time.Now)
	begin := time.Now()
	if !late.wait(context.Background()) || time.Since(begin) > 100*time.Millisecond {
		t.Errorf("got a wait of %s for a slot in the past, want none", time.Since(begin))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	far := newPacer(now.Add(time.Hour), 1, time.Now)
	if far.wait(ctx) {
		t.Error("got true from a wait that outlived its context, want false")
	}
	var none *pacer
	if !none.wait(context.Background()) {
		t.Error("got false from a nil pacer, want true at once")
	}
}

// TestRunRate: flows that fail at once would start hundreds of times in
// half a second; at 20/s ten slots fall within it.
func TestRunRate(t *testing.T) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	}))
	defer broken.Close()
	resp, err := StartResponders(context.Background(), ResponderConfig{HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("starting responders: %v", err)
	}
	defer resp.Close()
	cfg := Config{DirectoryURL: broken.URL + "/dir", Concurrency: 4, Duration: 500 * time.Millisecond, Rate: 20}
	rep, err := Run(context.Background(), cfg, resp, Deps{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Without the cap hundreds would start; on a loaded machine some
	// subscribers reach their slots late and fewer than ten start.
	if rep.Started < 5 || rep.Started > 12 {
		t.Errorf("got %d flows started in 500ms at 20/s, want 5..12", rep.Started)
	}
	if rep.Rate != 20 {
		t.Errorf("got rate %g in the report, want 20", rep.Rate)
	}
}
