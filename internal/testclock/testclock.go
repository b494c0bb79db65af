// Package testclock is a clock that tests move by hand, for code that
// takes its time from an injected func() time.Time. Production code must
// not import it.
package testclock

import (
	"sync"
	"time"
)

// Clock stands still until the test moves it; it is safe for concurrent
// use, since the code under test reads it from its own goroutines.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New is a clock standing at now.
func New(now time.Time) *Clock { return &Clock{now: now} }

// Now is the clock's time; pass the method value as the injected clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
