package varemote

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/va"
)

// ServerConfig configures one remote perspective.
type ServerConfig struct {
	// Perspective names this perspective in answers and logs.
	Perspective string
	// VA configures the validations; its CAAIdentities are replaced by the
	// primary's with each CAA request.
	VA va.Config
	// TLS holds the perspective's server certificate and requires client
	// certificates from the operator's CA (ServerTLS builds it).
	TLS *tls.Config
	// MaxInFlight bounds concurrent checks (0: 512). Beyond it a
	// perspective answers 503 at once, which the primary counts as this
	// perspective's failure, rather than queueing work the primary will
	// have given up on.
	MaxInFlight int
}

// defaultMaxInFlight is ServerConfig.MaxInFlight's default.
const defaultMaxInFlight = 512

// maxVAs bounds the VAs kept per set of CAA identities: a primary has one
// set, and a handful covers a change of configuration.
const maxVAs = 8

// Server is one remote perspective. It is safe for concurrent use.
type Server struct {
	cfg ServerConfig
	log *slog.Logger

	mu  sync.Mutex
	vas map[string]*va.VA // by CAA identities joined with "\n"

	inFlight chan struct{}
}

// NewServer checks cfg and returns a Server. A nil log discards.
func NewServer(cfg ServerConfig, log *slog.Logger) (*Server, error) {
	if cfg.Perspective == "" {
		return nil, errors.New("varemote: a perspective name is required")
	}
	if cfg.TLS == nil || cfg.TLS.ClientAuth != tls.RequireAndVerifyClientCert || cfg.TLS.ClientCAs == nil {
		return nil, errors.New("varemote: the perspective must require client certificates from a given CA")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("perspective", cfg.Perspective)
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = defaultMaxInFlight
	}
	s := &Server{cfg: cfg, log: log, vas: map[string]*va.VA{}, inFlight: make(chan struct{}, cfg.MaxInFlight)}
	if _, err := s.vaFor(cfg.VA.CAAIdentities); err != nil {
		return nil, err
	}
	return s, nil
}

// vaFor returns a VA judging CAA by identities.
func (s *Server) vaFor(identities []string) (*va.VA, error) {
	key := strings.Join(identities, "\n")
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.vas[key]; v != nil {
		return v, nil
	}
	cfg := s.cfg.VA
	cfg.CAAIdentities = slices.Clone(identities)
	v, err := va.New(cfg, s.log.With("component", "va"))
	if err != nil {
		return nil, err
	}
	if len(s.vas) < maxVAs {
		s.vas[key] = v
	}
	return v, nil
}

// Handler serves the perspective's endpoints. It refuses any request that
// did not come over TLS with a verified client certificate, even if a
// caller wires it without the TLS configuration NewServer checked.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathValidate, s.handleValidate)
	mux.HandleFunc("POST "+PathCAA, s.handleCAA)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			s.log.WarnContext(r.Context(), "refused a request without a verified client certificate", slog.String("remote", r.RemoteAddr))
			writeError(w, http.StatusUnauthorized, core.ErrUnauthorized, "a client certificate is required")
			return
		}
		select {
		case s.inFlight <- struct{}{}:
			defer func() { <-s.inFlight }()
		default:
			s.log.WarnContext(r.Context(), "too many checks in flight; refusing one", slog.Int("limit", cap(s.inFlight)))
			writeError(w, http.StatusServiceUnavailable, core.ErrServerInternal, "too many checks in flight")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// Serve answers on ln until ctx ends, then lets requests in flight finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         s.cfg.TLS,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 2*s.timeout() + 10*time.Second, IdleTimeout: 120 * time.Second,
		// Failed handshakes (a caller without a certificate) are logged at
		// debug: they are noise at info.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout()+5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("stopping perspective %s: %w", s.cfg.Perspective, err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) timeout() time.Duration {
	if s.cfg.VA.Timeout > 0 {
		return s.cfg.VA.Timeout
	}
	return 10 * time.Second
}

func (s *Server) handleValidate(w http.ResponseWriter, r *http.Request) {
	var req validateRequest
	if !decode(w, r, &req) {
		return
	}
	v, err := s.vaFor(s.cfg.VA.CAAIdentities)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	records, err := v.Validate(r.Context(), va.Request{
		Identifier: req.Identifier, Wildcard: req.Wildcard, Challenge: req.Challenge,
		Token: req.Token, KeyAuthorization: req.KeyAuthorization,
	})
	s.answer(w, r, "validation", req.Identifier, records, err)
}

func (s *Server) handleCAA(w http.ResponseWriter, r *http.Request) {
	var req caaRequest
	if !decode(w, r, &req) {
		return
	}
	v, err := s.vaFor(req.CAAIdentities)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	err = v.CheckCAA(r.Context(), va.CAARequest{
		Identifier: req.Identifier, Wildcard: req.Wildcard, AccountURI: req.AccountURI, Method: req.Method,
	})
	s.answer(w, r, "CAA check", req.Identifier, nil, err)
}

// answer writes the result and logs one event for the request; the VA
// has logged the details of the check itself.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, what string, id acme.Identifier, records []acme.ValidationRecord, err error) {
	res := result{Perspective: s.cfg.Perspective, Records: records}
	outcome := "succeeded"
	if err != nil {
		ce := core.AsError(err)
		res.Error = &wireError{Kind: ce.Kind, Detail: ce.Detail}
		outcome = "failed: " + string(ce.Kind)
	}
	s.log.InfoContext(r.Context(), "answered primary", slog.String("check", what), slog.String("identifier", id.Value),
		slog.String("outcome", outcome), slog.String("primary", clientName(r)))
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "perspective failed internally", slog.String("error", err.Error()))
	writeError(w, http.StatusInternalServerError, core.ErrServerInternal, "")
}

// clientName is the subject of the primary's verified certificate.
func clientName(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return ""
	}
	return r.TLS.VerifiedChains[0][0].Subject.String()
}

// decode reads one JSON object, strictly, into v; on failure it answers
// 400 and returns false.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, core.ErrMalformed, "request body too large")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, core.ErrMalformed, "request body is not the expected JSON object")
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, core.ErrMalformed, "request body holds more than one JSON value")
		return false
	}
	return true
}

func writeError(w http.ResponseWriter, status int, kind core.Kind, detail string) {
	writeJSON(w, status, result{Error: &wireError{Kind: kind, Detail: detail}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServerTLS loads a perspective's server certificate and the CA its
// primaries' client certificates must chain to.
func ServerTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the perspective's certificate: %w", err)
	}
	pool, err := loadPool(clientCAFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert, ClientCAs: pool,
		// Both ends are Quarry: no older client needs serving.
		MinVersion: tls.VersionTLS13,
	}, nil
}

// ClientTLS loads the primary's client certificate and the CA a
// perspective's server certificate must chain to.
func ClientTLS(certFile, keyFile, serverCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the client certificate for perspectives: %w", err)
	}
	pool, err := loadPool(serverCAFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS13}, nil
}

func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificates", file)
	}
	return pool, nil
}
