package nonce

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"sync"

	"github.com/quarry-ca/quarry/internal/core"
)

// Config sizes the nonce service.
type Config struct {
	// MaxOutstanding bounds memory: past it the oldest nonces are evicted
	// and a client holding one gets badNonce and retries. Default 100000.
	MaxOutstanding int
	// Prefix starts every nonce, so a front end could route a redemption
	// to the instance that issued it.
	Prefix string
	// Rand is the randomness source; crypto/rand by default.
	Rand io.Reader
}

// Service issues and redeems nonces. It is safe for concurrent use.
type Service struct {
	max    int
	prefix string
	rand   io.Reader

	mu          sync.Mutex
	outstanding map[string]struct{}
	order       []string // FIFO ring of issued nonces, for eviction
	head        int
}

// nonceBytes is the entropy in each nonce: 128 bits.
const nonceBytes = 16

// New returns a nonce service.
func New(cfg Config) (*Service, error) {
	if cfg.MaxOutstanding < 0 {
		return nil, fmt.Errorf("nonce: MaxOutstanding must not be negative")
	}
	if cfg.MaxOutstanding == 0 {
		cfg.MaxOutstanding = 100000
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Service{
		max: cfg.MaxOutstanding, prefix: cfg.Prefix, rand: cfg.Rand,
		outstanding: make(map[string]struct{}, cfg.MaxOutstanding),
		order:       make([]string, 0, cfg.MaxOutstanding),
	}, nil
}

// Nonce returns a fresh nonce.
func (s *Service) Nonce(_ context.Context) (string, error) {
	var b [nonceBytes]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("making nonce: %w", err)
	}
	n := s.prefix + base64.RawURLEncoding.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.order) < s.max {
		s.order = append(s.order, n)
	} else {
		// Evict the oldest; it may already be redeemed, which is harmless.
		delete(s.outstanding, s.order[s.head])
		s.order[s.head] = n
		s.head = (s.head + 1) % s.max
	}
	s.outstanding[n] = struct{}{}
	return n, nil
}

// Redeem accepts a nonce once. Unknown, reused and evicted nonces are
// core.ErrBadNonce.
func (s *Service) Redeem(_ context.Context, n string) error {
	if len(n) != len(s.prefix)+base64.RawURLEncoding.EncodedLen(nonceBytes) {
		return core.Errorf(core.ErrBadNonce, "the nonce is malformed; get a fresh one from newNonce")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.outstanding[n]; !ok {
		return core.Errorf(core.ErrBadNonce, "the nonce is unknown, expired or already used; retry with the nonce in this response")
	}
	delete(s.outstanding, n)
	return nil
}
