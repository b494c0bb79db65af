package renew

import "time"

// State is what a certificate's renewal remembers between runs.
type State struct {
	Failures    int       `yaml:"failures"`
	LastFailure time.Time `yaml:"last_failure,omitempty"`
	LastError   string    `yaml:"last_error,omitempty"`
	ARIWindow   *Window   `yaml:"ari_window,omitempty"`
	ARIMoment   time.Time `yaml:"ari_moment,omitempty"`
	// RetryAfter is the earliest retry the CA asked for with its last
	// refusal (a rate limit's Retry-After); it outlasts a shorter back-off.
	RetryAfter time.Time `yaml:"retry_after,omitempty"`
}

// Backoff is the wait after the n-th consecutive failure: 1 min, 10 min,
// 100 min, then a day.
func Backoff(n int) time.Duration {
	switch {
	case n <= 0:
		return 0
	case n == 1:
		return time.Minute
	case n == 2:
		return 10 * time.Minute
	case n == 3:
		return 100 * time.Minute
	}
	return 24 * time.Hour
}

// NextAttempt is the earliest time another attempt may run.
func (s State) NextAttempt() time.Time {
	if s.Failures == 0 {
		return time.Time{}
	}
	next := s.LastFailure.Add(Backoff(s.Failures))
	if s.RetryAfter.After(next) {
		return s.RetryAfter
	}
	return next
}

// Failed records a failed attempt at now. retryAfter is how long the CA
// asked mason to wait, zero when it did not say.
func (s State) Failed(now time.Time, err error, retryAfter time.Duration) State {
	s.Failures++
	s.LastFailure = now
	s.RetryAfter = time.Time{}
	if retryAfter > 0 {
		s.RetryAfter = now.Add(retryAfter)
	}
	if err != nil {
		s.LastError = err.Error()
	}
	return s
}

// Succeeded clears the failures and the ARI choice, which belonged to the
// certificate just replaced.
func (s State) Succeeded() State { return State{} }
