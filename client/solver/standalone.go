package solver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// HTTP answers http-01 from its own listener (--standalone).
type HTTP struct {
	srv *http.Server
	ln  net.Listener

	mu     sync.Mutex
	tokens map[string]string
}

var (
	_ Solver    = (*HTTP)(nil)
	_ io.Closer = (*HTTP)(nil)
)

// ListenHTTP starts the http-01 listener on addr (":80" in production).
func ListenHTTP(ctx context.Context, addr string) (*HTTP, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for http-01 on %s (is a web server using the port? try --webroot): %w", addr, err)
	}
	h := &HTTP{ln: ln, tokens: map[string]string{}}
	h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = h.srv.Serve(ln) }()
	return h, nil
}

// Addr is where the listener listens.
func (h *HTTP) Addr() net.Addr { return h.ln.Addr() }

func (h *HTTP) Type() acme.ChallengeType { return acme.ChallengeHTTP01 }

func (h *HTTP) Present(ctx context.Context, ch Challenge) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tokens[ch.Token] = ch.KeyAuth
	return nil
}

func (h *HTTP) CleanUp(ctx context.Context, ch Challenge) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.tokens, ch.Token)
	return nil
}

func (h *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, "/.well-known/acme-challenge/")
	h.mu.Lock()
	ka, found := h.tokens[token]
	h.mu.Unlock()
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, ka)
}

// Close stops the listener.
func (h *HTTP) Close() error {
	if err := h.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("closing http-01 listener: %w", err)
	}
	return nil
}
