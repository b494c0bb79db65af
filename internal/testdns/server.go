package testdns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Config says where to listen and how to answer names nobody set.
type Config struct {
	// Addr is the host:port for both UDP and TCP; default "127.0.0.1:0".
	Addr string
	// DefaultA answers any A/AAAA query (by family) for a name without an
	// explicit record; nil means such names do not exist (NXDOMAIN).
	DefaultA []net.IP
	// TSIG maps key names (FQDN) to base64 HMAC-SHA256 secrets. When it is
	// non-empty, RFC 2136 updates must be signed with one of these keys.
	TSIG map[string]string
}

// Server is a running test DNS server. Its methods are safe for
// concurrent use.
type Server struct {
	defaultA []net.IP
	needTSIG bool
	addr     string
	udp      *dns.Server
	tcp      *dns.Server
	done     chan error

	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	nodes   map[string]*node
	queries []dns.Question
}

// bindAttempts bounds retries when the UDP side of a free TCP port is taken.
const bindAttempts = 20

// Start listens on cfg.Addr (UDP and TCP on the same port) and serves until
// Close. ctx bounds only the start-up.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	secrets := make(map[string]string, len(cfg.TSIG))
	for name, secret := range cfg.TSIG {
		secrets[dns.CanonicalName(name)] = secret
	}
	s := &Server{
		defaultA: cfg.DefaultA,
		needTSIG: len(secrets) > 0,
		nodes:    make(map[string]*node),
		done:     make(chan error, 2),
	}
	tcpLn, udpConn, err := listenBoth(ctx, cfg.Addr)
	if err != nil {
		return nil, err
	}
	s.addr = tcpLn.Addr().String()
	s.tcp = s.newDNSServer(secrets)
	s.tcp.Listener = tcpLn
	s.udp = s.newDNSServer(secrets)
	s.udp.PacketConn = udpConn
	if err := s.serve(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) newDNSServer(secrets map[string]string) *dns.Server {
	return &dns.Server{
		Handler:       dns.HandlerFunc(s.handle),
		TsigSecret:    secrets, // never nil, so every signed message is verified
		MsgAcceptFunc: acceptQueriesAndUpdates,
		ReadTimeout:   5 * time.Second,
		WriteTimeout:  5 * time.Second,
	}
}

// serve starts both servers and waits until they are accepting.
func (s *Server) serve(ctx context.Context) error {
	started := make(chan struct{}, 2)
	for _, srv := range []*dns.Server{s.tcp, s.udp} {
		srv.NotifyStartedFunc = func() { started <- struct{}{} }
		go func() { s.done <- srv.ActivateAndServe() }()
	}
	for range 2 {
		select {
		case <-started:
		case err := <-s.done:
			return fmt.Errorf("testdns: serving: %w", err)
		case <-ctx.Done():
			return fmt.Errorf("testdns: starting: %w", ctx.Err())
		}
	}
	return nil
}

// listenBoth opens TCP first, then UDP on the same port; with port 0 it
// retries when another process holds the UDP side of the chosen port.
func listenBoth(ctx context.Context, addr string) (net.Listener, net.PacketConn, error) {
	var lc net.ListenConfig
	var lastErr error
	for range bindAttempts {
		tcpLn, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("testdns: listening on tcp %s: %w", addr, err)
		}
		udpConn, err := lc.ListenPacket(ctx, "udp", tcpLn.Addr().String())
		if err == nil {
			return tcpLn, udpConn, nil
		}
		_ = tcpLn.Close()
		lastErr = err
		if _, port, _ := net.SplitHostPort(addr); port != "0" {
			break
		}
	}
	return nil, nil, fmt.Errorf("testdns: listening on udp %s: %w", addr, lastErr)
}

// Addr is the "host:port" both transports listen on.
func (s *Server) Addr() string { return s.addr }

// Close stops both transports; later calls return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.shutdown() })
	return s.closeErr
}

func (s *Server) shutdown() error {
	var errs []error
	for _, srv := range []*dns.Server{s.tcp, s.udp} {
		if srv == nil {
			continue
		}
		if err := srv.Shutdown(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("testdns: closing: %w", err)
	}
	return nil
}

// Queries returns a copy of every question asked with opcode QUERY, in
// arrival order.
func (s *Server) Queries() []dns.Question {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]dns.Question(nil), s.queries...)
}

// acceptQueriesAndUpdates is miekg's default filter widened to UPDATE,
// whose prerequisite and update sections hold many records.
func acceptQueriesAndUpdates(dh dns.Header) dns.MsgAcceptAction {
	const qrBit = 1 << 15
	if dh.Bits&qrBit != 0 {
		return dns.MsgIgnore
	}
	switch opcode := int(dh.Bits>>11) & 0xF; opcode {
	case dns.OpcodeQuery, dns.OpcodeUpdate:
	default:
		return dns.MsgRejectNotImplemented
	}
	if dh.Qdcount != 1 {
		return dns.MsgReject
	}
	return dns.MsgAccept
}
