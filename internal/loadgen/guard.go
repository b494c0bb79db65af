package loadgen

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// NotLoopbackError is the refusal of a target outside loopback: this
// workplace's rule is that acmeload only ever loads servers on 127.0.0.0/8
// or ::1.
type NotLoopbackError struct {
	Host string // the host as given
	Addr string // the offending address, "" when the host did not resolve
}

func (e *NotLoopbackError) Error() string {
	if e.Addr == "" {
		return fmt.Sprintf("refusing %s: it resolves to no address; acmeload only targets loopback (127.0.0.0/8, ::1)", e.Host)
	}
	return fmt.Sprintf("refusing %s: it resolves to %s; acmeload only targets loopback (127.0.0.0/8, ::1)", e.Host, e.Addr)
}

// LookupFunc resolves a host name, like net.Resolver.LookupNetIP.
type LookupFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

// CheckLoopback refuses a directory URL whose host is not, or does not
// resolve only to, loopback addresses. lookup nil means the system resolver.
func CheckLoopback(ctx context.Context, dirURL string, lookup LookupFunc) error {
	u, err := url.Parse(dirURL)
	if err != nil {
		return fmt.Errorf("parsing directory URL: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Hostname() == "" {
		return fmt.Errorf("directory URL %q: want http(s)://host[:port]/path", dirURL)
	}
	host := u.Hostname()
	addrs, err := resolve(ctx, host, lookup)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return &NotLoopbackError{Host: host}
	}
	for _, a := range addrs {
		if !a.Unmap().IsLoopback() {
			return &NotLoopbackError{Host: host, Addr: a.String()}
		}
	}
	return nil
}

func resolve(ctx context.Context, host string, lookup LookupFunc) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	if lookup == nil {
		lookup = net.DefaultResolver.LookupNetIP
	}
	return lookup(ctx, "ip", host)
}

// loopbackOnly is a net.Dialer Control hook: it runs after name
// resolution, so a name that later resolves elsewhere is still refused.
func loopbackOnly(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dialing %s: %w", address, err)
	}
	if !ap.Addr().Unmap().IsLoopback() {
		return &NotLoopbackError{Host: address, Addr: ap.Addr().String()}
	}
	return nil
}

// newHTTPClient is one shared client for all subscribers: connections are
// reused, and every dial is checked against loopback.
func newHTTPClient(cfg Config) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, Control: loopbackOnly}
	t := &http.Transport{
		DialContext:         d.DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        cfg.Concurrency * 2,
		MaxIdleConnsPerHost: cfg.Concurrency * 2,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		TLSClientConfig: &tls.Config{
			RootCAs:            cfg.RootCAs,
			InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // loopback targets only, by operator choice
			MinVersion:         tls.VersionTLS12,
		},
	}
	return &http.Client{Transport: t, Timeout: 60 * time.Second}
}
