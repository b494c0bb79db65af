package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client/solver"
)

// ResponderConfig says where acmeload's challenge responders listen. An
// empty address leaves that responder off. The target CA's VA must be
// pointed at them: its http-01 and tls-alpn-01 ports, and its DNS resolver.
type ResponderConfig struct {
	HTTPAddr string // http-01, e.g. 127.0.0.1:5002
	TLSAddr  string // tls-alpn-01, e.g. 127.0.0.1:5001
	DNSAddr  string // DNS (UDP and TCP), e.g. 127.0.0.1:8053
	// BaseDomain is the zone the DNS server answers; default "load.test".
	BaseDomain string
	// AnswerIP is the address every name under BaseDomain resolves to;
	// default 127.0.0.1.
	AnswerIP net.IP
}

// Responders answer the challenges of every flow.
type Responders struct {
	http *solver.HTTP
	tls  *solver.TLSALPN
	dns  *dnsResponder
}

// StartResponders starts the responders cfg names. Close stops them.
func StartResponders(ctx context.Context, cfg ResponderConfig) (*Responders, error) {
	if cfg.BaseDomain == "" {
		cfg.BaseDomain = "load.test"
	}
	if cfg.AnswerIP == nil {
		cfg.AnswerIP = net.IPv4(127, 0, 0, 1)
	}
	r := &Responders{}
	var err error
	if cfg.HTTPAddr != "" {
		if r.http, err = solver.ListenHTTP(ctx, cfg.HTTPAddr); err != nil {
			return nil, r.closeAfter(err)
		}
	}
	if cfg.TLSAddr != "" {
		if r.tls, err = solver.ListenTLSALPN(ctx, cfg.TLSAddr); err != nil {
			return nil, r.closeAfter(err)
		}
	}
	if cfg.DNSAddr != "" {
		if r.dns, err = listenDNS(ctx, cfg.DNSAddr, cfg.BaseDomain, cfg.AnswerIP); err != nil {
			return nil, r.closeAfter(err)
		}
	}
	return r, nil
}

func (r *Responders) closeAfter(err error) error { return errors.Join(err, r.Close()) }

// HTTPAddr, TLSAddr and DNSAddr are where the responders listen ("" when
// off), to point the CA's VA at.
func (r *Responders) HTTPAddr() string {
	if r.http == nil {
		return ""
	}
	return r.http.Addr().String()
}

func (r *Responders) TLSAddr() string {
	if r.tls == nil {
		return ""
	}
	return r.tls.Addr().String()
}

func (r *Responders) DNSAddr() string {
	if r.dns == nil {
		return ""
	}
	return r.dns.Addr()
}

// Close stops every responder.
func (r *Responders) Close() error {
	var errs []error
	if r.http != nil {
		errs = append(errs, r.http.Close())
	}
	if r.tls != nil {
		errs = append(errs, r.tls.Close())
	}
	if r.dns != nil {
		errs = append(errs, r.dns.Close())
	}
	return errors.Join(errs...)
}

// check says whether the responder a challenge type needs is running.
func (r *Responders) check(t acme.ChallengeType) error {
	ok := map[acme.ChallengeType]bool{
		acme.ChallengeHTTP01:    r.http != nil,
		acme.ChallengeTLSALPN01: r.tls != nil,
		acme.ChallengeDNS01:     r.dns != nil,
	}[t]
	if !ok {
		return fmt.Errorf("no responder for %s is running (set its listen address)", t)
	}
	return nil
}

// present makes ch answerable; the returned func undoes it.
func (r *Responders) present(ctx context.Context, ch solver.Challenge) (func(), error) {
	switch ch.Type {
	case acme.ChallengeHTTP01:
		return func() { _ = r.http.CleanUp(ctx, ch) }, r.http.Present(ctx, ch)
	case acme.ChallengeTLSALPN01:
		return func() { _ = r.tls.CleanUp(ctx, ch) }, r.tls.Present(ctx, ch)
	case acme.ChallengeDNS01:
		name, value := solver.DNS01Name(ch.Domain, ""), acme.DNS01Value(ch.KeyAuth)
		r.dns.addTXT(name, value)
		return func() { r.dns.removeTXT(name, value) }, nil
	}
	return func() {}, fmt.Errorf("unsupported challenge type %s", ch.Type)
}
