package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Store keeps the TAT of every bucket, keyed by an opaque string of at most
// a few hundred bytes.
//
// Atomicity contract: UpdateRateLimits reads the TATs of keys, calls apply once with
// them, and writes back the TATs apply returns, as one serializable step
// with respect to every other UpdateRateLimits on any of the same keys, from any
// process sharing the store. A key that was never written, or whose TAT
// has passed, may read as the zero time: both mean an empty bucket. When
// apply returns an error nothing is written and UpdateRateLimits returns that error
// unchanged (so errors.Is and errors.As see it). When the store fails,
// nothing is written either: a batch is spent whole or not at all.
// apply must be pure: an implementation may call it again after a
// serialization failure, with fresh TATs, and keep only the last result.
// apply may return a subset of keys; keys it leaves out keep their TAT.
// keys are sorted and distinct, so an implementation that locks rows in
// that order cannot deadlock with itself.
//
// A TAT at or before now carries no state, so an implementation may drop
// such rows at any time (UpdateRateLimits is told now for that purpose only).
//
// For PostgreSQL, one way: in one transaction, INSERT the keys with
// ON CONFLICT DO NOTHING (so absent rows exist to lock), SELECT them FOR
// UPDATE in key order, apply, then UPDATE the returned ones.
type Store interface {
	UpdateRateLimits(ctx context.Context, keys []string, now time.Time,
		apply func(tats map[string]time.Time) (map[string]time.Time, error)) error
}

// MemoryStore is a Store in one process's memory, for tests and
// development. It is safe for concurrent use.
type MemoryStore struct {
	mu    sync.Mutex
	tats  map[string]time.Time
	calls int
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{tats: map[string]time.Time{}}
}

// sweepEvery is how many updates pass between sweeps of stale buckets, so
// memory stays bounded by the buckets in use.
const sweepEvery = 1024

// UpdateRateLimits implements Store under one mutex.
func (m *MemoryStore) UpdateRateLimits(ctx context.Context, keys []string, now time.Time,
	apply func(map[string]time.Time) (map[string]time.Time, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.calls%sweepEvery == 0 {
		for k, t := range m.tats {
			if !t.After(now) {
				delete(m.tats, k)
			}
		}
	}
	cur := make(map[string]time.Time, len(keys))
	for _, k := range keys {
		if t, ok := m.tats[k]; ok {
			cur[k] = t
		}
	}
	next, err := apply(cur)
	if err != nil {
		return err
	}
	for k, t := range next {
		if t.After(now) {
			m.tats[k] = t
		} else {
			delete(m.tats, k)
		}
	}
	return nil
}

// Len is how many buckets hold state, for tests.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tats)
}
