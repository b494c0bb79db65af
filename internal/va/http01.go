package va

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

const (
	// maxRedirects is how many redirects an http-01 fetch follows.
	maxRedirects = 10
	// bodySlack is how far a body may exceed the key authorization, for
	// trailing whitespace; maxBody caps what is read whatever the size.
	bodySlack = 128
	maxBody   = 4096
)

// validateHTTP01 fetches the key authorization over HTTP (RFC 8555 §8.3),
// following redirects, and records one hop per request.
func (v *VA) validateHTTP01(ctx context.Context, req Request) ([]acme.ValidationRecord, error) {
	u := &url.URL{
		Scheme: "http",
		Host:   urlHost(req.Identifier.Value, v.cfg.HTTPPort, defaultHTTPPort),
		Path:   acme.HTTP01Path(req.Token),
	}
	limit := min(len(req.KeyAuthorization)+bodySlack, maxBody)
	var records []acme.ValidationRecord
	seen := map[string]bool{}
	for hop := 0; ; hop++ {
		seen[u.String()] = true
		res := v.fetch(ctx, u, limit)
		records = append(records, res.record)
		if res.err != nil {
			return records, res.err
		}
		if res.location == nil {
			return records, checkKeyAuth(res, req.KeyAuthorization, limit)
		}
		next, refusal := v.redirectTarget(res.location)
		switch {
		case next == nil:
			return records, res.fail(core.ErrConnection, refusal)
		case hop == maxRedirects:
			return records, res.fail(core.ErrConnection, "Too many redirects")
		case seen[next.String()]:
			return records, res.fail(core.ErrConnection, "Redirect loop detected")
		}
		u = next
	}
}

// checkKeyAuth compares a fetched body with the key authorization; only
// trailing whitespace may differ.
func checkKeyAuth(res fetchResult, keyAuth string, limit int) error {
	if len(res.body) > limit {
		return core.Errorf(core.ErrUnauthorized, "%s: Invalid response from %s: body is larger than %d bytes",
			res.where(), res.record.URL, limit)
	}
	got := strings.TrimRight(string(res.body), " \t\r\n")
	if got != keyAuth {
		return core.Errorf(core.ErrUnauthorized,
			"%s: The key authorization file from the server did not match this challenge: expected %q, got %s",
			res.where(), keyAuth, quoteBody([]byte(got)))
	}
	return nil
}

// urlHost renders host (a name or an IP) with port unless it is the
// scheme's default.
func urlHost(host string, port, schemeDefault int) string {
	if port == schemeDefault {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}
