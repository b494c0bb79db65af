package varemote

import "fmt"

// AllowedFailures is how many of n remote perspectives may fail to
// corroborate under the Baseline Requirements (3.2.2.9): none of one, one
// of two to five, two of six or more.
func AllowedFailures(n int) int {
	switch {
	case n <= 1:
		return 0
	case n <= 5:
		return 1
	}
	return 2
}

// quorum is the rule one Multi applies to its n remote perspectives.
type quorum struct {
	n           int
	maxFailures int
}

// newQuorum returns the rule for n remotes: the Baseline Requirements'
// allowance, or a stricter maxFailures when it is not negative.
func newQuorum(n, maxFailures int) (quorum, error) {
	allowed := AllowedFailures(n)
	if n < 1 {
		return quorum{}, fmt.Errorf("varemote: no remote perspectives")
	}
	if maxFailures > allowed {
		return quorum{}, fmt.Errorf("varemote: %d failures allowed of %d remote perspectives; the Baseline Requirements allow at most %d", maxFailures, n, allowed)
	}
	if maxFailures >= 0 {
		allowed = maxFailures
	}
	return quorum{n: n, maxFailures: allowed}, nil
}

// needed is how many remote perspectives must corroborate.
func (q quorum) needed() int { return q.n - q.maxFailures }

// decided says whether ok successes and failed failures settle the
// outcome, and if so whether the quorum is met.
func (q quorum) decided(ok, failed int) (done, met bool) {
	switch {
	case ok >= q.needed():
		return true, true
	case failed > q.maxFailures:
		return true, false
	}
	return false, false
}
