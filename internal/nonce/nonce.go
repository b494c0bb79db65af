package nonce

import (
	"container/list"
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

	mu sync.Mutex
	// byValue finds a nonce's place in age, so Redeem removes it in O(1)
	// and only unredeemed nonces count toward the bound.
	byValue map[string]*list.Element
	age     *list.List // oldest at the front
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
		byValue: make(map[string]*list.Element),
		age:     list.New(),
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
	if _, dup := s.byValue[n]; dup {
		// Only a broken randomness source repeats 128 bits.
		return "", fmt.Errorf("making nonce: randomness source repeated itself")
	}
	s.byValue[n] = s.age.PushBack(n)
	for s.age.Len() > s.max {
		delete(s.byValue, s.age.Remove(s.age.Front()).(string))
	}
	return n, nil
}

// Redeem accepts a nonce once. Unknown, reused, malformed and evicted
// nonces are core.ErrBadNonce.
func (s *Service) Redeem(_ context.Context, n string) error {
	if len(n) != len(s.prefix)+base64.RawURLEncoding.EncodedLen(nonceBytes) {
		return core.Errorf(core.ErrBadNonce, "the nonce is malformed; get a fresh one from newNonce")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byValue[n]
	if !ok {
		return core.Errorf(core.ErrBadNonce, "the nonce is unknown, expired or already used; retry with the nonce in this response")
	}
	s.age.Remove(e)
	delete(s.byValue, n)
	return nil
}

// outstanding is how many nonces could still be redeemed.
func (s *Service) outstanding() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byValue)
}
