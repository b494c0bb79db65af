package main

import (
	"crypto/x509"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/client/renew"
)

// humanTime is how mason prints a moment to people: UTC to the minute.
func humanTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// why words a renewal rule for people.
func why(reason string, leaf *x509.Certificate) string {
	switch reason {
	case renew.ReasonARI:
		return "inside the CA's suggested ARI window"
	case renew.ReasonLifetime:
		if leaf != nil && leaf.NotAfter.Sub(leaf.NotBefore) < renew.ShortLived {
			return "half of the lifetime left"
		}
		return "a third of the lifetime left"
	case renew.ReasonForced:
		return "forced"
	case renew.ReasonBackoff:
		return "backing off after failure"
	}
	return reason
}

// notDue is renew's line for a lineage it leaves alone this time.
func notDue(d renew.Decision, leaf *x509.Certificate, st renew.State) string {
	if d.Reason == renew.ReasonBackoff {
		return fmt.Sprintf("not retried yet; backing off after %s until %s (due since %s, %s)",
			failures(st.Failures), humanTime(d.At), humanTime(d.Due), why(d.DueReason, leaf))
	}
	return fmt.Sprintf("not due; renewal planned at %s (%s)", humanTime(d.At), why(d.Reason, leaf)+explanation(d.State))
}

func failures(n int) string {
	if n == 1 {
		return "1 failure"
	}
	return fmt.Sprintf("%d failures", n)
}

// explanation points at the CA's page on why it suggests its ARI window,
// when it gave one.
func explanation(st renew.State) string {
	if st.ARIWindow == nil || st.ARIWindow.ExplanationURL == "" {
		return ""
	}
	return "; the CA explains why at " + clean(st.ARIWindow.ExplanationURL)
}
