package va

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync/atomic"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// maxHeaderBytes bounds the response headers of a challenge fetch.
const maxHeaderBytes = 16 << 10

// fetchResult is one http-01 hop: its record, and either a redirect
// target, a body, or an error.
type fetchResult struct {
	record   acme.ValidationRecord
	location *url.URL
	body     []byte
	err      error
}

// where names the hop's server in details: the address used, else the host.
func (r fetchResult) where() string {
	if r.record.AddressUsed != "" {
		return r.record.AddressUsed
	}
	return r.record.Hostname
}

func (r fetchResult) fail(kind core.Kind, reason string) error {
	return core.Errorf(kind, "%s: Fetching %s: %s", r.where(), r.record.URL, reason)
}

// fetch resolves u's host, connects through the guard and GETs u once,
// without following redirects.
func (v *VA) fetch(ctx context.Context, u *url.URL, limit int) fetchResult {
	port := v.urlPort(u)
	res := fetchResult{record: acme.ValidationRecord{URL: u.String(), Hostname: u.Hostname(), Port: strconv.Itoa(port)}}
	addrs, err := v.resolveHost(ctx, u.Hostname(), &res.record)
	if err != nil {
		res.err = err
		return res
	}
	d := v.dial(ctx, addrs, port)
	if d.addr.IsValid() {
		res.record.AddressUsed = d.addr.String()
	}
	if d.err != nil {
		kind, reason := describe(d.err, phaseConnect)
		res.err = res.fail(kind, reason)
		return res
	}
	defer d.conn.Close()
	resp, err := v.roundTrip(ctx, u, d.conn)
	if err != nil {
		kind, reason := describe(err, phaseConnected)
		res.err = res.fail(kind, reason)
		return res
	}
	defer resp.Body.Close()
	return v.readResponse(res, resp, limit)
}

// readResponse takes a redirect target or a capped body from resp.
func (v *VA) readResponse(res fetchResult, resp *http.Response, limit int) fetchResult {
	switch resp.StatusCode {
	case http.StatusOK:
		body, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
		if err != nil {
			kind, reason := describe(err, phaseConnected)
			res.err = res.fail(kind, reason)
		}
		res.body = body
		return res
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		loc, err := resp.Location()
		if err == nil {
			res.location = loc
			return res
		}
		res.err = res.fail(core.ErrConnection, "Redirect without a valid Location header")
		return res
	}
	res.err = core.Errorf(core.ErrUnauthorized, "%s: Invalid response from %s: %d", res.where(), res.record.URL, resp.StatusCode)
	return res
}

// roundTrip sends one GET over an already connected conn. HTTPS redirect
// targets are not verified, as the challenge is in the body.
func (v *VA) roundTrip(ctx context.Context, u *url.URL, conn net.Conn) (*http.Response, error) {
	var used atomic.Bool
	tr := &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			if used.Swap(true) {
				return nil, errors.New("connection already used")
			}
			return conn, nil
		},
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12},
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, core.Errorf(core.ErrMalformed, "invalid URL %s", u)
	}
	req.Header.Set("User-Agent", v.cfg.UserAgent)
	req.Header.Set("Accept", "*/*")
	return tr.RoundTrip(req)
}

// urlPort is the port a URL names, or the configured port for its scheme.
func (v *VA) urlPort(u *url.URL) int {
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	if u.Scheme == "https" {
		return v.cfg.TLSPort
	}
	return v.cfg.HTTPPort
}

// resolveHost returns the addresses to dial for host, an IP literal or a
// name, in dialing order, and notes them in rec.
func (v *VA) resolveHost(ctx context.Context, host string, rec *acme.ValidationRecord) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		rec.AddressesResolved = []string{ip.String()}
		return []netip.Addr{ip}, nil
	}
	rec.ResolverAddrs = v.resolver.servers()
	addrs, err := v.resolver.lookupIP(ctx, host)
	if err != nil {
		return nil, err
	}
	addrs = dialOrder(addrs)
	rec.AddressesResolved = addrStrings(addrs)
	return addrs, nil
}
