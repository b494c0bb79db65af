package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/crl"
	"github.com/quarry-ca/quarry/internal/jose"
	"github.com/quarry-ca/quarry/internal/lease"
	"github.com/quarry-ca/quarry/internal/nonce"
	"github.com/quarry-ca/quarry/internal/ocsp"
	"github.com/quarry-ca/quarry/internal/policy"
	"github.com/quarry-ca/quarry/internal/ra"
	"github.com/quarry-ca/quarry/internal/storage/backend"
	"github.com/quarry-ca/quarry/internal/va"
	"github.com/quarry-ca/quarry/internal/wfe"
)

// Server is a running Quarry instance.
type Server struct {
	cfg   config.Config
	log   *slog.Logger
	store backend.Store
	ca    *ca.CA
	ra    *ra.RA
	crls  *crl.Generator
	ocsp  *ocsp.Responder // nil unless ocsp.enable

	// Set when other instances share the database (cluster.go).
	instance     string
	elector      *lease.Elector
	sharedNonces *nonce.Shared

	acmeLn, httpLn net.Listener
	acmeSrv        *http.Server
	httpSrv        *http.Server
	requestTimeout atomic.Int64 // nanoseconds; 0 means requestTimeout (deadline.go)
}

// New builds every part and opens the listeners; Run serves.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	s := &Server{cfg: cfg, log: log}
	ok := false
	defer func() {
		if !ok {
			s.closeAll()
		}
	}()

	var err error
	if s.acmeLn, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("listening for ACME on %s: %w", cfg.Listen, err)
	}
	if s.httpLn, err = net.Listen("tcp", cfg.HTTPListen); err != nil {
		return nil, fmt.Errorf("listening for HTTP on %s: %w", cfg.HTTPListen, err)
	}
	if s.acmeLn, err = withProxyProtocol(s.acmeLn, cfg.Cluster.ProxyProtocolFrom); err != nil {
		return nil, err
	}
	if s.httpLn, err = withProxyProtocol(s.httpLn, cfg.Cluster.ProxyProtocolFrom); err != nil {
		return nil, err
	}
	if s.store, err = backend.Open(ctx, cfg.StorageDSN()); err != nil {
		return nil, fmt.Errorf("opening database: %w", err)
	}
	log.Info("storage opened", "storage", backend.Redact(cfg.StorageDSN()))
	if s.ca, err = ca.Load(ctx, CAConfig(cfg, s.issuerURL()), log.With("component", "ca")); err != nil {
		return nil, fmt.Errorf("loading CA: %w", err)
	}
	s.crls, err = crl.New(crl.Config{
		Period: time.Duration(cfg.CRL.Period), NextUpdate: time.Duration(cfg.CRL.NextUpdate),
		AfterRevocationDelay: time.Duration(cfg.CRL.AfterRevocationDelay),
	}, crl.Deps{Store: s.store, Signer: s.ca, Log: log.With("component", "crl")})
	if err != nil {
		return nil, err
	}
	if err := s.newOCSP(); err != nil {
		return nil, err
	}
	validator, err := va.New(va.Config{
		HTTPPort: cfg.VA.HTTPPort, TLSPort: cfg.VA.TLSPort, DNSResolver: cfg.VA.DNSResolver,
		AllowPrivate: cfg.AllowPrivate(), Timeout: time.Duration(cfg.VA.Timeout), UserAgent: "Quarry-VA",
		CAAIdentities: cfg.ACME.CAAIdentities,
	}, log.With("component", "va"))
	if err != nil {
		return nil, fmt.Errorf("starting VA: %w", err)
	}
	corroborating, err := corroborated(cfg, validator, log.With("component", "mpic"))
	if err != nil {
		return nil, fmt.Errorf("configuring validation perspectives: %w", err)
	}
	profiles := Profiles(cfg)
	pol, err := policy.New(policy.Config{
		Mode: policy.Mode(cfg.Preset), MaxNames: cfg.Policy.MaxNames, BlockedNames: cfg.Policy.BlockedNames,
		AllowIP: anyAllowsIP(profiles),
	})
	if err != nil {
		return nil, fmt.Errorf("loading policy: %w", err)
	}
	s.instance = instanceID(cfg, s.acmeLn.Addr().String())
	nonces, shared, err := newNonces(ctx, cfg.Cluster, s.store)
	if err != nil {
		return nil, err
	}
	s.sharedNonces = shared
	if s.elector, err = newElector(cfg, s.instance, s.store, log.With("component", "lease")); err != nil {
		return nil, err
	}
	limits, err := rateLimits(cfg, s.store, log.With("component", "ratelimit"))
	if err != nil {
		return nil, err
	}
	s.ra, err = ra.New(ra.Config{
		OrderLifetime:        time.Duration(cfg.Orders.Lifetime),
		PendingAuthzLifetime: time.Duration(cfg.Orders.PendingAuthzLifetime),
		ValidAuthzLifetime:   time.Duration(cfg.Orders.ValidAuthzLifetime),
		ValidationTimeout:    validationTimeout(cfg),
		TermsOfService:       cfg.ACME.TermsOfService,
		EABRequired:          cfg.ACME.EABRequired,
		AccountURLPrefix:     s.accountURLPrefix(),
		Profiles:             profiles,
		SkipCAA:              !cfg.CAAEnabled(),
	}, ra.Deps{Store: s.store, VA: corroborating, CA: s.ca, Policy: pol, CRL: s.revocationListener(), Limits: limits, Log: log.With("component", "ra")})
	if err != nil {
		return nil, err
	}
	// With other instances on the database, some of this work may be in
	// their hands: the leader resumes it once it is seen abandoned
	// (runBackground).
	if !cfg.Cluster.Enabled {
		if v, o, err := s.ra.Resume(ctx); err != nil {
			return nil, fmt.Errorf("resuming interrupted work: %w", err)
		} else if v+o > 0 {
			log.Info("resumed interrupted work", "validations", v, "failed_orders", o)
		}
	}
	eabKeys, err := cfg.EABKeyBytes()
	if err != nil {
		return nil, err
	}
	front := wfe.New(wfe.Config{
		PublicURL: cfg.PublicURL,
		Meta: acme.Meta{
			TermsOfService: cfg.ACME.TermsOfService, Website: cfg.ACME.Website,
			CAAIdentities: cfg.ACME.CAAIdentities, ExternalAccountRequired: cfg.ACME.EABRequired,
			Profiles: profileDescriptions(profiles),
		},
		EABKeys: eabKeys,
	}, s.ra, jose.NewVerifier(nonces, s.store, s.kidPrefix()), nonces, log.With("component", "wfe"))

	tlsCert, err := s.ca.ServerCertificate(ctx, s.tlsNames())
	if err != nil {
		return nil, fmt.Errorf("issuing the API's TLS certificate: %w", err)
	}
	s.acmeSrv = &http.Server{
		Handler:           withInstance(cfg.Cluster.InstanceHeader, s.instance, withHealth(s.store, log, s.withDeadline(front.Handler()))),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{tlsCert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	s.httpSrv = &http.Server{
		Handler:           withInstance(cfg.Cluster.InstanceHeader, s.instance, withHealth(s.store, log, s.withDeadline(s.plainHandler()))),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	ok = true
	return s, nil
}

// CAConfig is the CA's configuration for a server configuration, shared
// by serve and init so both build the same hierarchy.
func CAConfig(cfg config.Config, issuerURL string) ca.Config {
	return ca.Config{
		DataDir: cfg.DataDir, Organization: cfg.CA.Organization, KeyTypes: cfg.CA.KeyTypes,
		RootValidity: time.Duration(cfg.CA.RootValidity), IntermediateValidity: time.Duration(cfg.CA.IntermediateValidity),
		LeafValidity: time.Duration(cfg.CA.LeafValidity), Backdate: time.Duration(cfg.CA.Backdate),
		IssuerBaseURL: issuerURL, CRLShards: cfg.CRL.Shards, OCSP: caOCSPConfig(cfg), Profiles: Profiles(cfg),
		PKCS11: caPKCS11Config(cfg),
		// Internal names are legitimate outside the public preset, so the
		// lints that check names against the public DNS must not block them.
		PrivateNames: cfg.Preset != config.PresetPublic,
	}
}

// plainHandler serves the plain-HTTP listener: issuer certificates (AIA),
// CRLs (distribution points) and, when enabled, OCSP.
func (s *Server) plainHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/issuer/", wfe.IssuerHandler(s.ca))
	mux.Handle("/crl/", wfe.CRLHandler(s.store, wfe.CRLConfig{
		MaxAge: time.Duration(s.cfg.CRL.CacheMaxAge), Log: s.log.With("component", "wfe"),
	}))
	return s.withOCSP(mux)
}

// DirectoryURL is where clients find the ACME directory.
func (s *Server) DirectoryURL() string { return s.baseURL() + "/directory" }

// RootsPath is the PEM file with every root certificate.
func (s *Server) RootsPath() string { return s.ca.RootsPEMPath() }

// ACMEAddr and HTTPAddr are the bound listener addresses.
func (s *Server) ACMEAddr() string { return s.acmeLn.Addr().String() }
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

func (s *Server) baseURL() string {
	if s.cfg.PublicURL != "" {
		return trimSlash(s.cfg.PublicURL)
	}
	return "https://" + s.acmeLn.Addr().String()
}

func (s *Server) accountURLPrefix() string { return s.baseURL() + "/acme/acct/" }

// kidPrefix is what a kid must start with. Without a public URL, URLs are
// built from each request's host, so only the path is fixed: a client may
// reach the server as localhost or 127.0.0.1 alike.
func (s *Server) kidPrefix() string {
	if s.cfg.PublicURL != "" {
		return s.accountURLPrefix()
	}
	return "/acme/acct/"
}

func (s *Server) issuerURL() string {
	if s.cfg.IssuerURL != "" {
		return trimSlash(s.cfg.IssuerURL)
	}
	return "http://" + s.httpLn.Addr().String()
}

// tlsNames are the names the API's certificate covers: loopback plus the
// listen and public hosts.
func (s *Server) tlsNames() []string {
	names := []string{"localhost", "127.0.0.1", "::1"}
	if host, _, err := net.SplitHostPort(s.cfg.Listen); err == nil && host != "" && !net.ParseIP(host).IsUnspecified() {
		names = append(names, host)
	}
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Hostname() != "" {
		names = append(names, u.Hostname())
	}
	return dedupe(names)
}

// Run serves until ctx ends, then shuts down gracefully: in-flight
// requests finish, background validations and issuances drain, the CRL
// generator stops, and the database closes last.
func (s *Server) Run(ctx context.Context) error {
	crlCtx, stopCRLs := context.WithCancel(ctx)
	crlDone := make(chan struct{})
	go func() { defer close(crlDone); s.runBackground(crlCtx) }()
	errc := make(chan error, 2)
	go func() { errc <- s.acmeSrv.ServeTLS(s.acmeLn, "", "") }()
	go func() { errc <- s.httpSrv.Serve(s.httpLn) }()
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(s.cfg.Shutdown))
	defer cancel()
	err := errors.Join(s.acmeSrv.Shutdown(sctx), s.httpSrv.Shutdown(sctx), s.ra.Drain(sctx))
	stopCRLs()
	<-crlDone
	err = errors.Join(err, s.store.Close(), s.ca.Close())
	if runErr != nil && !errors.Is(runErr, http.ErrServerClosed) {
		return errors.Join(runErr, err)
	}
	return err
}

func (s *Server) closeAll() {
	for _, ln := range []net.Listener{s.acmeLn, s.httpLn} {
		if ln != nil {
			ln.Close()
		}
	}
	if s.store != nil {
		s.store.Close()
	}
	if s.ca != nil {
		s.ca.Close()
	}
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
