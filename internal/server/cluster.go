package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/lease"
	"github.com/quarry-ca/quarry/internal/nonce"
	"github.com/quarry-ca/quarry/internal/storage"
)

// nonceService issues nonces (for the front end) and redeems them (for
// the JWS verifier).
type nonceService interface {
	Nonce(ctx context.Context) (string, error)
	Redeem(ctx context.Context, n string) error
}

// nonceKeyName is the shared secret that MACs shared nonces.
const nonceKeyName = "nonce-mac-v1"

// nonceSweepEvery is how often the leader deletes expired shared nonces.
const nonceSweepEvery = time.Minute

// newNonces builds the nonce service the configuration asks for; shared
// nonces get their MAC key from the database, so every instance agrees
// on it without copying a file.
func newNonces(ctx context.Context, cfg config.Cluster, store storage.ClusterStore) (nonceService, *nonce.Shared, error) {
	if cfg.NonceMode() == config.NoncesMemory {
		n, err := nonce.New(nonce.Config{})
		if err != nil {
			return nil, nil, fmt.Errorf("starting nonce service: %w", err)
		}
		return n, nil, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, nil, fmt.Errorf("making the nonce key: %w", err)
	}
	key, err := store.SharedSecret(ctx, nonceKeyName, fresh)
	if err != nil {
		return nil, nil, fmt.Errorf("loading the nonce key: %w", err)
	}
	shared, err := nonce.NewShared(nonce.SharedConfig{Key: key, Lifetime: time.Duration(cfg.NonceLifetime)}, store)
	if err != nil {
		return nil, nil, fmt.Errorf("starting shared nonces: %w", err)
	}
	return shared, shared, nil
}

// instanceID names this instance: the configured name, or host name and
// ACME listen port.
func instanceID(cfg config.Config, acmeAddr string) string {
	if cfg.Cluster.InstanceID != "" {
		return cfg.Cluster.InstanceID
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "quarry"
	}
	_, port, _ := net.SplitHostPort(acmeAddr)
	return host + ":" + port
}

// staleAfter is how long work must stay in flight before the leader takes
// it for abandoned: longer than any validation or issuance on a live
// instance, shutdown drain included.
func staleAfter(cfg config.Config) time.Duration {
	validation := time.Duration(cfg.VA.Timeout) + 5*time.Second
	return max(2*validation, time.Duration(cfg.Shutdown)+validation, 2*time.Minute)
}

// runBackground runs the background jobs until ctx ends: all of them here
// when this is the only instance; otherwise CRL rounds, nonce sweeps and
// resuming abandoned work on the lease holder, and each instance's own
// after-revocation CRLs here.
func (s *Server) runBackground(ctx context.Context) {
	if !s.cfg.Cluster.Enabled {
		s.crls.Run(ctx)
		return
	}
	jobs := []func(context.Context){
		s.crls.RunRounds,
		func(ctx context.Context) { s.ra.ResumeAbandoned(ctx, staleAfter(s.cfg)) },
	}
	if s.sharedNonces != nil {
		jobs = append(jobs, s.sweepNonces)
	}
	done := make(chan struct{})
	go func() { defer close(done); s.crls.RunRevocations(ctx) }()
	s.elector.Run(ctx, jobs...)
	<-done
}

func (s *Server) sweepNonces(ctx context.Context) {
	tick := time.NewTicker(nonceSweepEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n, err := s.sharedNonces.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.ErrorContext(ctx, "sweeping expired nonces", slog.String("error", err.Error()))
		case n > 0:
			s.log.DebugContext(ctx, "swept expired nonces", slog.Int64("count", n))
		}
	}
}

// newElector builds the lease elector when other instances share the
// database.
func newElector(cfg config.Config, id string, store storage.ClusterStore, log *slog.Logger) (*lease.Elector, error) {
	if !cfg.Cluster.Enabled {
		return nil, nil
	}
	e, err := lease.New(lease.Config{Name: "background-jobs", Instance: id, TTL: cfg.Cluster.LeaseTTL()}, store, log)
	if err != nil {
		return nil, fmt.Errorf("starting leader election: %w", err)
	}
	return e, nil
}

// Pinger is a store that reports whether it answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// pingTimeout bounds a readiness check, so a hung database reads as not
// ready instead of hanging the load balancer's probe.
const pingTimeout = 2 * time.Second

// withHealth answers /livez (the process serves: always 200) and /readyz
// (200 when the store answers a ping, 503 otherwise) before next sees the
// request, so load balancers can probe either listener.
func withHealth(store Pinger, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/livez":
			health(rw, r, http.StatusOK, "ok")
		case "/readyz":
			ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
			defer cancel()
			if err := store.Ping(ctx); err != nil {
				log.WarnContext(ctx, "not ready: the database does not answer", slog.String("error", err.Error()))
				health(rw, r, http.StatusServiceUnavailable, "database unavailable")
				return
			}
			health(rw, r, http.StatusOK, "ok")
		default:
			next.ServeHTTP(rw, r)
		}
	})
}

func health(rw http.ResponseWriter, r *http.Request, status int, msg string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rw.Header().Set("Allow", "GET, HEAD")
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	rw.WriteHeader(status)
	if r.Method == http.MethodGet {
		fmt.Fprintln(rw, msg)
	}
}

// withInstance names the instance in X-Quarry-Instance on every response
// when configured.
func withInstance(enabled bool, id string, next http.Handler) http.Handler {
	if !enabled {
		return next
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("X-Quarry-Instance", id)
		next.ServeHTTP(rw, r)
	})
}
