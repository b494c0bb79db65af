package renew

import "time"

// ShortLived is the lifetime under which half, not a third, must remain.
const ShortLived = 10 * 24 * time.Hour

// Window is a suggested renewal window (RFC 9773 ARI).
type Window struct {
	Start time.Time `yaml:"start" json:"start"`
	End   time.Time `yaml:"end" json:"end"`
	// ExplanationURL is the CA's page on why it suggests this window
	// (RFC 9773), often set when it asks for an early renewal.
	ExplanationURL string `yaml:"explanation_url,omitempty" json:"explanation_url,omitempty"`
}

// Cert is what the decision needs to know about the live certificate.
type Cert struct {
	NotBefore time.Time
	NotAfter  time.Time
}

// Rand is the randomness used to pick a moment in the ARI window;
// math/rand/v2's *Rand satisfies it.
type Rand interface {
	Float64() float64
}

// Input is one decision's facts.
type Input struct {
	Now   time.Time
	Cert  Cert
	ARI   *Window // nil when the server offers no renewal information
	State State
	Force bool
}

// Reasons a Decision gives; they are stable, scripts read them in JSON.
const (
	ReasonForced   = "forced"
	ReasonBackoff  = "backing off after failure"
	ReasonARI      = "inside the ARI window"
	ReasonLifetime = "lifetime rule"
)

// Decision says whether to renew now, and if not, when next to look.
type Decision struct {
	Renew  bool
	At     time.Time // when renewal is (or was) due, or the back-off ends
	Reason string    // one of the Reason constants
	// Due and DueReason say when the certificate itself falls due and by
	// which rule (ReasonARI or ReasonLifetime), back-off aside; zero when
	// forced.
	Due       time.Time
	DueReason string
	// State is the input state with any newly chosen ARI moment; callers
	// persist it so the moment stays put between runs.
	State State
}

// Decide applies, in order: force; back-off after failures; the ARI window
// (a random moment in it, chosen once per window); the lifetime rule.
func Decide(in Input, rnd Rand) Decision {
	st := in.State
	if in.Force {
		return Decision{Renew: true, At: in.Now, Reason: ReasonForced, State: st}
	}
	due, reason := dueAt(in, rnd, &st)
	if next := st.NextAttempt(); next.After(in.Now) && !due.After(in.Now) {
		return Decision{At: next, Reason: ReasonBackoff, Due: due, DueReason: reason, State: st}
	}
	return Decision{Renew: !due.After(in.Now), At: due, Reason: reason, Due: due, DueReason: reason, State: st}
}

func dueAt(in Input, rnd Rand, st *State) (time.Time, string) {
	if w := in.ARI; w != nil && !w.End.Before(w.Start) {
		if st.ARIWindow == nil || !st.ARIWindow.Start.Equal(w.Start) || !st.ARIWindow.End.Equal(w.End) {
			span := w.End.Sub(w.Start)
			st.ARIMoment = w.Start.Add(time.Duration(rnd.Float64() * float64(span)))
		}
		// A copy, with the CA's latest explanation: the caller's window
		// is not the state's to change.
		cp := *w
		st.ARIWindow = &cp
		return st.ARIMoment, ReasonARI
	}
	return LifetimeDue(in.Cert), ReasonLifetime
}

// LifetimeDue is when a third of the lifetime is left, or half for
// certificates that live under 10 days.
func LifetimeDue(c Cert) time.Time {
	life := c.NotAfter.Sub(c.NotBefore)
	left := life / 3
	if life < ShortLived {
		left = life / 2
	}
	return c.NotAfter.Add(-left)
}
