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

// Store keeps shared nonces in the database every instance uses.
type Store interface {
	AddNonce(ctx context.Context, id []byte, expires time.Time) error
	// RedeemNonce deletes id and reports whether it existed unexpired; at
	// most one of concurrent calls for one id gets true.
	RedeemNonce(ctx context.Context, id []byte, now time.Time) (bool, error)
	SweepNonces(ctx context.Context, now time.Time) (int64, error)
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

// Shared issues nonces recorded in a Store, so a nonce issued by one
// instance is accepted by any other, exactly once. It is safe for
// concurrent use.
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
// expiry in Unix seconds, and a truncated HMAC-SHA256 over both. The
// expiry rides along so an instance refuses a stale nonce without asking
// the store.
const (
	sharedIDLen  = 16
	sharedExpLen = 8
	sharedMACLen = 16
	sharedRawLen = sharedIDLen + sharedExpLen + sharedMACLen
	sharedMinKey = 32
)

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

// Nonce records and returns a fresh nonce.
func (s *Shared) Nonce(ctx context.Context) (string, error) {
	var raw [sharedRawLen]byte
	if _, err := io.ReadFull(s.rand, raw[:sharedIDLen]); err != nil {
		return "", fmt.Errorf("making nonce: %w", err)
	}
	// Whole seconds, so the expiry in the nonce and in the store agree.
	expires := s.now().Add(s.lifetime).Truncate(time.Second)
	binary.BigEndian.PutUint64(raw[sharedIDLen:], uint64(expires.Unix()))
	copy(raw[sharedIDLen+sharedExpLen:], s.mac(raw[:sharedIDLen+sharedExpLen]))
	if err := s.store.AddNonce(ctx, raw[:sharedIDLen], expires); err != nil {
		return "", fmt.Errorf("making nonce: %w", err)
	}
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
	now := s.now()
	exp := int64(binary.BigEndian.Uint64(raw[sharedIDLen:]))
	if now.Unix() >= exp {
		return core.Errorf(core.ErrBadNonce, "the nonce has expired; retry with the nonce in this response")
	}
	ok, err := s.store.RedeemNonce(ctx, raw[:sharedIDLen], now)
	if err != nil {
		return fmt.Errorf("redeeming nonce: %w", err)
	}
	if !ok {
		return core.Errorf(core.ErrBadNonce, "the nonce is unknown, expired or already used; retry with the nonce in this response")
	}
	return nil
}

// Sweep deletes expired nonces from the store; one instance (the leader)
// runs it periodically.
func (s *Shared) Sweep(ctx context.Context) (int64, error) {
	n, err := s.store.SweepNonces(ctx, s.now())
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
