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
