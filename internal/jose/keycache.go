package jose

import (
	"sync"

	gojose "github.com/go-jose/go-jose/v4"
)

// keyCacheSize bounds the parsed account keys kept; about 1 KB each.
const keyCacheSize = 4096

// keyCache keeps parsed account keys, keyed by the exact JWK bytes stored
// with the account. Parsing a JWK (base64, big integers, a curve check)
// costs more than a signature check's bookkeeping, and every kid request
// needs the key. Because the key is the stored bytes themselves, a key
// rollover, which stores new bytes, can never be verified with the old
// key; the account (and its status) is still read on every request.
type keyCache struct {
	mu   sync.Mutex
	keys map[string]*gojose.JSONWebKey
}

func newKeyCache() *keyCache {
	return &keyCache{keys: make(map[string]*gojose.JSONWebKey)}
}

// parse returns the key raw encodes, parsing it only on a miss. The
// returned key is shared: callers must not change it.
func (c *keyCache) parse(raw []byte) (*gojose.JSONWebKey, error) {
	c.mu.Lock()
	k, ok := c.keys[string(raw)]
	c.mu.Unlock()
	if ok {
		return k, nil
	}
	k = new(gojose.JSONWebKey)
	if err := k.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.keys) >= keyCacheSize {
		// Evict an arbitrary entry: map order is random, so no client can
		// pin its key in or push another's out on purpose.
		for old := range c.keys {
			delete(c.keys, old)
			break
		}
	}
	c.keys[string(raw)] = k
	return k, nil
}
