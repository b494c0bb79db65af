package nonce

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// Store remembers which shared nonces were redeemed, in the database every
// instance uses.
type Store interface {
	// UseNonce records id as redeemed until expires and reports whether
	// this call was the first; of concurrent calls for one id, across
	// instances, exactly one gets true.
	UseNonce(ctx context.Context, id []byte, expires time.Time) (bool, error)
	// SweepNonces forgets nonces that expired before before.
	SweepNonces(ctx context.Context, before time.Time) (int64, error)
}

// SharedConfig configures nonces that any instance sharing the store
// redeems, once.
type SharedConfig struct {
	// Key MACs every nonce, so garbage and forgeries are refused without a
	// database round trip. Every instance must use the same key; at least
	// 32 bytes.
	Key []byte
	// Lifetime is how long a nonce stays redeemable; default 30 minutes.
	Lifetime time.Duration
	Rand     io.Reader        // crypto/rand by default
	Clock    func() time.Time // time.Now by default
}

// Shared issues nonces that any instance holding the same key accepts,
// exactly once: a nonce carries its expiry and a MAC, so issuing one
// writes nothing, and redeeming one records it in the Store until it
// expires. It is safe for concurrent use.
type Shared struct {
	key      []byte
	lifetime time.Duration
	rand     io.Reader
	now      func() time.Time
	store    Store
}

// DefaultSharedLifetime is how long a shared nonce stays redeemable:
// long enough for a client that pauses between requests, short enough
// that the table stays small.
const DefaultSharedLifetime = 30 * time.Minute

// A shared nonce is base64url(id ‖ expiry ‖ mac): 16 random bytes, the
// expiry in Unix seconds, and a truncated HMAC-SHA256 over both. Only a
// nonce whose MAC checks and whose expiry has not passed reaches the
// store, so garbage and stale nonces cost no database round trip.
const (
	sharedIDLen  = 16
	sharedExpLen = 8
	sharedMACLen = 16
	sharedRawLen = sharedIDLen + sharedExpLen + sharedMACLen
	sharedMinKey = 32
)

// sweepGrace keeps records of expired nonces a while longer, so an
// instance whose clock lags the sweeper's still finds a nonce it thinks
// unexpired recorded as used. Instances' clocks must agree within it.
const sweepGrace = 5 * time.Minute

// macDomain separates nonce MACs from any other use of the key.
var macDomain = []byte("quarry nonce v1\x00")

// NewShared returns a shared nonce service on store.
func NewShared(cfg SharedConfig, store Store) (*Shared, error) {
	if store == nil {
		return nil, errors.New("nonce: a store is required for shared nonces")
	}
	if len(cfg.Key) < sharedMinKey {
		return nil, fmt.Errorf("nonce: the MAC key must be at least %d bytes", sharedMinKey)
	}
	if cfg.Lifetime < 0 {
		return nil, errors.New("nonce: Lifetime must not be negative")
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = DefaultSharedLifetime
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Shared{key: cfg.Key, lifetime: cfg.Lifetime, rand: cfg.Rand, now: cfg.Clock, store: store}, nil
}

// Nonce returns a fresh nonce; it touches no storage.
func (s *Shared) Nonce(_ context.Context) (string, error) {
	var raw [sharedRawLen]byte
	if _, err := io.ReadFull(s.rand, raw[:sharedIDLen]); err != nil {
		return "", fmt.Errorf("making nonce: %w", err)
	}
	// Whole seconds, so the expiry in the nonce and in the store agree.
	expires := s.now().Add(s.lifetime).Truncate(time.Second)
	binary.BigEndian.PutUint64(raw[sharedIDLen:], uint64(expires.Unix()))
	copy(raw[sharedIDLen+sharedExpLen:], s.mac(raw[:sharedIDLen+sharedExpLen]))
	return base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// Redeem accepts a nonce once, whichever instance issued it. Malformed,
// forged, expired, unknown and reused nonces are core.ErrBadNonce; only
// well-formed, authentic, unexpired ones reach the store.
func (s *Shared) Redeem(ctx context.Context, n string) error {
	if len(n) != base64.RawURLEncoding.EncodedLen(sharedRawLen) {
		return core.Errorf(core.ErrBadNonce, "the nonce is malformed; get a fresh one from newNonce")
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(n)
	if err != nil || len(raw) != sharedRawLen {
		return core.Errorf(core.ErrBadNonce, "the nonce is malformed; get a fresh one from newNonce")
	}
	body, mac := raw[:sharedIDLen+sharedExpLen], raw[sharedIDLen+sharedExpLen:]
	if !hmac.Equal(mac, s.mac(body)) {
		return core.Errorf(core.ErrBadNonce, "the nonce was not issued by this server; retry with the nonce in this response")
	}
	exp := int64(binary.BigEndian.Uint64(raw[sharedIDLen:]))
	if s.now().Unix() >= exp {
		return core.Errorf(core.ErrBadNonce, "the nonce has expired; retry with the nonce in this response")
	}
	first, err := s.store.UseNonce(ctx, raw[:sharedIDLen], time.Unix(exp, 0))
	if err != nil {
		return fmt.Errorf("redeeming nonce: %w", err)
	}
	if !first {
		return core.Errorf(core.ErrBadNonce, "the nonce was already used; retry with the nonce in this response")
	}
	return nil
}

// Sweep forgets used nonces that expired more than sweepGrace ago; one
// instance (the leader) runs it periodically.
func (s *Shared) Sweep(ctx context.Context) (int64, error) {
	n, err := s.store.SweepNonces(ctx, s.now().Add(-sweepGrace))
	if err != nil {
		return 0, fmt.Errorf("sweeping nonces: %w", err)
	}
	return n, nil
}

func (s *Shared) mac(body []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(macDomain)
	m.Write(body)
	return m.Sum(nil)[:sharedMACLen]
}
