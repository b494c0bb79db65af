package loadgen

import (
	"context"
	"sync/atomic"
	"time"
)

// pacer spaces flow starts evenly at a fixed rate across all subscribers,
// so a run can hold a CA at a chosen fraction of its capacity. Slots are
// fixed from the start of the run: a subscriber that comes late to its
// slot starts at once, so the long-run rate stays the one asked for.
type pacer struct {
	start    time.Time
	interval time.Duration
	taken    atomic.Int64
	now      func() time.Time
}

// newPacer returns nil, which never waits, for a rate of 0 (no limit).
func newPacer(start time.Time, perSecond float64, now func() time.Time) *pacer {
	if perSecond <= 0 {
		return nil
	}
	return &pacer{start: start, interval: time.Duration(float64(time.Second) / perSecond), now: now}
}

// next takes the next free slot and returns its time.
func (p *pacer) next() time.Time {
	return p.start.Add(time.Duration(p.taken.Add(1)-1) * p.interval)
}

// wait blocks until the caller's slot comes; it reports false when ctx
// ended first.
func (p *pacer) wait(ctx context.Context) bool {
	if p == nil {
		return ctx.Err() == nil
	}
	d := p.next().Sub(p.now())
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
