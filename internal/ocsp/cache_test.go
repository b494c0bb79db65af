package ocsp

import (
	"crypto"
	"fmt"
	"testing"
)

func TestCacheBoundAndDropShard(t *testing.T) {
	c := newCache(3)
	key := func(i int) cacheKey { return cacheKey{issuerID: "e1", serial: fmt.Sprint(i), hash: crypto.SHA1} }
	for i := range 10 {
		c.put(key(i), &entry{status: certStatus{shard: i % 2}})
		if got := c.len(); got > 3 {
			t.Fatalf("after %d puts: got %d entries, want at most 3", i+1, got)
		}
	}
	if _, ok := c.get(key(9)); !ok {
		t.Errorf("the newest entry: got missing, want cached")
	}
	c.put(key(9), &entry{status: certStatus{shard: 1}}) // replacing evicts nothing
	if got := c.len(); got != 3 {
		t.Errorf("after replacing: got %d entries, want 3", got)
	}
	c.put(cacheKey{issuerID: "r1", serial: "9", hash: crypto.SHA1}, &entry{status: certStatus{shard: 1}})
	c.dropShard("e1", 1)
	for k := range c.entries {
		if k.issuerID == "e1" && c.entries[k].status.shard == 1 {
			t.Errorf("after dropShard(e1, 1): got %v still cached", k)
		}
	}
	if _, ok := c.get(cacheKey{issuerID: "r1", serial: "9", hash: crypto.SHA1}); !ok {
		t.Errorf("another issuer's shard 1: got dropped, want kept")
	}
}
