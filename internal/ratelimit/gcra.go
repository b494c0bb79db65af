package ratelimit

import "time"

// Limit is one bucket's shape: at most Count spends in a burst, refilled
// at an even pace of Count per Period.
type Limit struct {
	Count  int64
	Period time.Duration
}

// interval is the time one unit takes to refill. Truncation is harmless:
// the burst is Count intervals, so exactly Count fit an empty bucket.
func (l Limit) interval() time.Duration { return l.Period / time.Duration(l.Count) }

func (l Limit) burst() time.Duration { return l.interval() * time.Duration(l.Count) }

// decision is the outcome of spending cost on one bucket.
type decision struct {
	allowed bool
	newTAT  time.Time     // the TAT after the spend, when allowed
	retryIn time.Duration // when refused: how long until cost would fit
}

// spend is GCRA: a bucket is a TAT, the moment it would be empty again;
// spending moves it cost intervals later, and is refused when that would
// put it more than one burst ahead of now.
func spend(l Limit, tat, now time.Time, cost int64) decision {
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(l.interval() * time.Duration(cost))
	if ahead := next.Sub(now); ahead > l.burst() {
		return decision{retryIn: ahead - l.burst()}
	}
	return decision{allowed: true, newTAT: next}
}

// refund gives cost back to a bucket, never leaving it fuller than empty.
func refund(l Limit, tat, now time.Time, cost int64) time.Time {
	back := tat.Add(-l.interval() * time.Duration(cost))
	if back.Before(now) {
		return now
	}
	return back
}
