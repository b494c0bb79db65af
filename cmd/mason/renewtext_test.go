package main

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/client/renew"
)

func TestNotDue(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	long := &x509.Certificate{NotBefore: t0, NotAfter: t0.Add(90 * 24 * time.Hour)}
	short := &x509.Certificate{NotBefore: t0, NotAfter: t0.Add(6 * 24 * time.Hour)}
	at := time.Date(2027, 2, 3, 12, 41, 20, 0, time.UTC)
	tests := []struct {
		name  string
		d     renew.Decision
		leaf  *x509.Certificate
		state renew.State
		want  string
	}{
		{"ARI", renew.Decision{At: at, Reason: renew.ReasonARI}, long, renew.State{},
			"not due; renewal planned at 2027-02-03 12:41 UTC (inside the CA's suggested ARI window)"},
		{"ARI with the CA's explanation", renew.Decision{At: at, Reason: renew.ReasonARI, State: renew.State{ARIWindow: &renew.Window{ExplanationURL: "https://ca.example/why\n"}}}, long, renew.State{},
			"not due; renewal planned at 2027-02-03 12:41 UTC (inside the CA's suggested ARI window; the CA explains why at https://ca.example/why)"},
		{"a third left", renew.Decision{At: at, Reason: renew.ReasonLifetime}, long, renew.State{},
			"not due; renewal planned at 2027-02-03 12:41 UTC (a third of the lifetime left)"},
		{"short-lived: half left", renew.Decision{At: at, Reason: renew.ReasonLifetime}, short, renew.State{},
			"not due; renewal planned at 2027-02-03 12:41 UTC (half of the lifetime left)"},
		{"backing off", renew.Decision{At: at, Reason: renew.ReasonBackoff, Due: at.Add(-time.Hour), DueReason: renew.ReasonLifetime}, long, renew.State{Failures: 2},
			"not retried yet; backing off after 2 failures until 2027-02-03 12:41 UTC (due since 2027-02-03 11:41 UTC, a third of the lifetime left)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notDue(tt.d, tt.leaf, tt.state); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestARIInput(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	stored := &renew.Window{Start: t0, End: t0.Add(time.Hour)}
	fetched := &renew.Window{Start: t0.Add(time.Hour), End: t0.Add(2 * time.Hour)}
	withStored := renew.State{ARIWindow: stored, ARIMoment: t0.Add(time.Minute)}
	tests := []struct {
		name      string
		fetched   *renew.Window
		offered   bool
		st        renew.State
		want      *renew.Window
		wantState *renew.Window
	}{
		{"fetched wins", fetched, true, withStored, fetched, stored},
		{"fetch failed keeps the last window", nil, true, withStored, stored, stored},
		{"fetch failed, nothing stored", nil, true, renew.State{}, nil, nil},
		{"ARI gone forgets the window", nil, false, withStored, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := ariInput(tt.fetched, tt.offered, tt.st)
			if got != tt.want || st.ARIWindow != tt.wantState || (st.ARIWindow == nil && !st.ARIMoment.IsZero()) {
				t.Errorf("got window %v state %v/%v, want %v state %v", got, st.ARIWindow, st.ARIMoment, tt.want, tt.wantState)
			}
		})
	}
}
