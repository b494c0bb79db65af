package renew

import (
	"errors"
	"testing"
	"time"
)

type fixedRand float64

func (f fixedRand) Float64() float64 { return float64(f) }

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func days(n float64) time.Duration { return time.Duration(n * 24 * float64(time.Hour)) }

func TestLifetimeDue(t *testing.T) {
	tests := []struct {
		name string
		life time.Duration
		want time.Duration // after NotBefore
	}{
		{"90 days renews at 60", days(90), days(60)},
		{"30 days renews at 20", days(30), days(20)},
		{"exactly 10 days uses a third", days(10), days(10) - days(10)/3},
		{"6 days renews at half", days(6), days(3)},
		{"1 hour renews at half", time.Hour, 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LifetimeDue(Cert{NotBefore: t0, NotAfter: t0.Add(tt.life)})
			if want := t0.Add(tt.want); !got.Equal(want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	cert := Cert{NotBefore: t0, NotAfter: t0.Add(days(90))}
	win := &Window{Start: t0.Add(days(50)), End: t0.Add(days(52))}
	tests := []struct {
		name      string
		in        Input
		rnd       float64
		wantRenew bool
		wantAt    time.Time
		wantWhy   string
	}{
		{"fresh cert not due", Input{Now: t0.Add(days(1)), Cert: cert}, 0, false, t0.Add(days(60)), "lifetime rule"},
		{"two thirds passed is due", Input{Now: t0.Add(days(60)), Cert: cert}, 0, true, t0.Add(days(60)), "lifetime rule"},
		{"forced", Input{Now: t0, Cert: cert, Force: true}, 0, true, t0, "forced"},
		{"forced ignores back-off", Input{Now: t0, Cert: cert, Force: true, State: State{Failures: 5, LastFailure: t0}}, 0, true, t0, "forced"},
		{"ARI moment at window start", Input{Now: t0.Add(days(50)), Cert: cert, ARI: win}, 0, true, t0.Add(days(50)), "inside the ARI window"},
		{"ARI moment mid window not yet", Input{Now: t0.Add(days(50)), Cert: cert, ARI: win}, 0.5, false, t0.Add(days(51)), "inside the ARI window"},
		{"ARI moment mid window reached", Input{Now: t0.Add(days(51)), Cert: cert, ARI: win}, 0.5, true, t0.Add(days(51)), "inside the ARI window"},
		{"ARI early window beats lifetime", Input{Now: t0.Add(days(10)), Cert: cert, ARI: &Window{Start: t0.Add(days(5)), End: t0.Add(days(6))}}, 0, true, t0.Add(days(5)), "inside the ARI window"},
		{"backing off after failure", Input{Now: t0.Add(days(61)), Cert: cert, State: State{Failures: 2, LastFailure: t0.Add(days(61) - time.Minute)}}, 0, false, t0.Add(days(61) + 9*time.Minute), "backing off after failure"},
		{"back-off over", Input{Now: t0.Add(days(61)), Cert: cert, State: State{Failures: 1, LastFailure: t0.Add(days(61) - time.Minute)}}, 0, true, t0.Add(days(60)), "lifetime rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.in, fixedRand(tt.rnd))
			if tt.wantWhy != ReasonForced && (got.Due.IsZero() || got.DueReason == ReasonBackoff || got.DueReason == "") {
				t.Errorf("got due %v by %q, want the certificate's own due time and rule", got.Due, got.DueReason)
			}
			if tt.wantWhy != ReasonBackoff && tt.wantWhy != ReasonForced && (!got.Due.Equal(got.At) || got.DueReason != got.Reason) {
				t.Errorf("got due %v by %q, want %v by %q outside back-off", got.Due, got.DueReason, got.At, got.Reason)
			}
			if got.Renew != tt.wantRenew || !got.At.Equal(tt.wantAt) || got.Reason != tt.wantWhy {
				t.Errorf("got renew=%v at=%v reason=%q, want renew=%v at=%v reason=%q",
					got.Renew, got.At, got.Reason, tt.wantRenew, tt.wantAt, tt.wantWhy)
			}
		})
	}
}

func TestARIMomentKeptBetweenRuns(t *testing.T) {
	cert := Cert{NotBefore: t0, NotAfter: t0.Add(days(90))}
	win := &Window{Start: t0.Add(days(50)), End: t0.Add(days(52))}
	first := Decide(Input{Now: t0, Cert: cert, ARI: win}, fixedRand(0.25))
	second := Decide(Input{Now: t0, Cert: cert, ARI: win, State: first.State}, fixedRand(0.9))
	if !second.At.Equal(first.At) {
		t.Errorf("got moment %v on second run, want %v kept", second.At, first.At)
	}
	explained := &Window{Start: win.Start, End: win.End, ExplanationURL: "https://ca.example/why"}
	fourth := Decide(Input{Now: t0, Cert: cert, ARI: explained, State: first.State}, fixedRand(0.9))
	if !fourth.At.Equal(first.At) || fourth.State.ARIWindow.ExplanationURL != explained.ExplanationURL {
		t.Errorf("got moment %v explanation %q, want %v kept and %q stored", fourth.At, fourth.State.ARIWindow.ExplanationURL, first.At, explained.ExplanationURL)
	}
	moved := &Window{Start: t0.Add(days(40)), End: t0.Add(days(41))}
	third := Decide(Input{Now: t0, Cert: cert, ARI: moved, State: first.State}, fixedRand(0))
	if !third.At.Equal(moved.Start) {
		t.Errorf("got moment %v after window moved, want %v", third.At, moved.Start)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name     string
		failures int
		want     time.Duration
	}{
		{"none", 0, 0},
		{"first", 1, time.Minute},
		{"second", 2, 10 * time.Minute},
		{"third", 3, 100 * time.Minute},
		{"fourth", 4, 24 * time.Hour},
		{"tenth", 10, 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Backoff(tt.failures); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStateTransitions(t *testing.T) {
	var s State
	if !s.NextAttempt().IsZero() {
		t.Errorf("got next attempt %v with no failures, want zero", s.NextAttempt())
	}
	s = s.Failed(t0, errors.New("boom"), 0).Failed(t0.Add(time.Hour), errors.New("again"), 0)
	if s.Failures != 2 || s.LastError != "again" {
		t.Errorf("got failures=%d error=%q, want 2 %q", s.Failures, s.LastError, "again")
	}
	if want := t0.Add(time.Hour + 10*time.Minute); !s.NextAttempt().Equal(want) {
		t.Errorf("got next attempt %v, want %v", s.NextAttempt(), want)
	}
	if s = s.Succeeded(); s.Failures != 0 {
		t.Errorf("got %d failures after success, want 0", s.Failures)
	}
}

// TestDecideDueDuringBackoff checks that back-off keeps the certificate's
// own due time, so `mason certificates` can say both.
func TestDecideDueDuringBackoff(t *testing.T) {
	cert := Cert{NotBefore: t0, NotAfter: t0.Add(days(90))}
	now := t0.Add(days(61))
	st := State{Failures: 3, LastFailure: now.Add(-time.Minute)}
	tests := []struct {
		name    string
		ari     *Window
		wantDue time.Time
		wantWhy string
	}{
		{"lifetime", nil, t0.Add(days(60)), ReasonLifetime},
		{"ARI", &Window{Start: t0.Add(days(55)), End: t0.Add(days(55))}, t0.Add(days(55)), ReasonARI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(Input{Now: now, Cert: cert, ARI: tt.ari, State: st}, fixedRand(0))
			if got.Renew || got.Reason != ReasonBackoff || !got.At.Equal(now.Add(99*time.Minute)) {
				t.Errorf("got renew=%v reason=%q at=%v, want back-off until %v", got.Renew, got.Reason, got.At, now.Add(99*time.Minute))
			}
			if !got.Due.Equal(tt.wantDue) || got.DueReason != tt.wantWhy {
				t.Errorf("got due %v by %q, want %v by %q", got.Due, got.DueReason, tt.wantDue, tt.wantWhy)
			}
		})
	}
}

func TestRetryAfterOutlastsBackoff(t *testing.T) {
	tests := []struct {
		name       string
		failures   int
		retryAfter time.Duration
		want       time.Duration // after the last failure
	}{
		{"no Retry-After", 0, 0, time.Minute},
		{"longer Retry-After wins", 0, 3 * time.Hour, 3 * time.Hour},
		{"shorter Retry-After keeps the back-off", 3, 5 * time.Minute, 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := State{Failures: tt.failures}.Failed(t0, errors.New("rate limited"), tt.retryAfter)
			if got := s.NextAttempt(); !got.Equal(t0.Add(tt.want)) {
				t.Errorf("got next attempt %v, want %v", got, t0.Add(tt.want))
			}
		})
	}
	s := State{}.Failed(t0, errors.New("rate limited"), 3*time.Hour).Failed(t0.Add(4*time.Hour), errors.New("other"), 0)
	if !s.RetryAfter.IsZero() {
		t.Errorf("got RetryAfter %v kept after a failure without one, want it cleared", s.RetryAfter)
	}
}
