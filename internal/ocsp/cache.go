package ocsp

import (
	"crypto"
	"sync"
)

// cacheKey names one response: the CertID's hash is part of it, since the
// response's CertID must use the request's.
type cacheKey struct {
	issuerID string
	serial   string // big-endian bytes
	hash     crypto.Hash
}

type entry struct {
	status certStatus // what resp says, compared with storage on every request
	resp   *Response
}

// cache holds signed responses, at most max of them. When full, an
// arbitrary entry makes room: the map's iteration order is random, which
// keeps a flood of unknown serials from pinning out the rest for long.
type cache struct {
	mu      sync.Mutex
	max     int
	entries map[cacheKey]*entry
}

func newCache(max int) *cache { return &cache{max: max, entries: map[cacheKey]*entry{}} }

func (c *cache) get(k cacheKey) (*entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	return e, ok
}

func (c *cache) put(k cacheKey, e *entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; !ok && len(c.entries) >= c.max {
		for old := range c.entries {
			delete(c.entries, old)
			break
		}
	}
	c.entries[k] = e
}

func (c *cache) dropShard(issuerID string, shard int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if k.issuerID == issuerID && e.status.shard == shard {
			delete(c.entries, k)
		}
	}
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
