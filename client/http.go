package client

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/jose"
)

const (
	maxBody       = 1 << 20     // largest response body read, certificate chains included
	maxNonces     = 100         // nonces kept; a busy client rarely holds more than a few
	maxBadNonce   = 5           // re-signs after badNonce before giving up
	maxBusy       = 3           // retries after 503 or rateLimited
	maxAutoWait   = time.Minute // longest Retry-After waited out here; longer goes to the caller
	busyBackoff   = time.Second // first wait after a 503 without Retry-After
	contentJOSE   = "application/jose+json"
	contentPEMSet = "application/pem-certificate-chain"
)

// response is one HTTP exchange's outcome with its body read (bounded).
type response struct {
	url    *url.URL
	status int
	header http.Header
	body   []byte
}

// location returns the Location header resolved against the request URL.
func (r *response) location() string {
	loc := r.header.Get("Location")
	if loc == "" {
		return ""
	}
	u, err := r.url.Parse(loc)
	if err != nil {
		return loc
	}
	return u.String()
}

// signer says how a request is signed: by account URL (kid) or, when kid is
// empty, with the key's JWK embedded (newAccount, revocation by cert key).
type signer struct {
	key crypto.Signer
	kid string
}

// post signs payload (nil for POST-as-GET) and sends it, re-signing with a
// fresh nonce on badNonce and waiting out 503 or rateLimited answers that
// fit in the context. accept is the media type wanted, "" for JSON.
func (c *Client) post(ctx context.Context, s signer, u string, payload []byte, accept string) (*response, error) {
	return c.retry(ctx, func(ctx context.Context) (*response, error) {
		nonce, err := c.nonce(ctx)
		if err != nil {
			return nil, err
		}
		body, err := jose.Sign(s.key, s.kid, nonce, u, payload)
		if err != nil {
			return nil, fmt.Errorf("signing request to %s: %w", u, err)
		}
		return c.do(ctx, http.MethodPost, u, body, accept)
	})
}

// get sends an unauthenticated GET (directory, renewalInfo).
func (c *Client) get(ctx context.Context, u string) (*response, error) {
	return c.retry(ctx, func(ctx context.Context) (*response, error) {
		return c.do(ctx, http.MethodGet, u, nil, "")
	})
}

// retry runs send until it succeeds or fails in a way retrying cannot fix.
func (c *Client) retry(ctx context.Context, send func(context.Context) (*response, error)) (*response, error) {
	badNonce, busy := 0, 0
	for {
		res, err := send(ctx)
		var e *Error
		if err == nil || !errors.As(err, &e) {
			return res, err
		}
		if e.Problem.Type == acme.ProblemBadNonce && badNonce < maxBadNonce {
			badNonce++ // the error response's own Replay-Nonce is now in the pool
			continue
		}
		wait, ok := busyWait(e, busy)
		if !ok || busy >= maxBusy || !fitsDeadline(ctx, wait) {
			return nil, err
		}
		busy++
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("waiting to retry after %w: %w", err, serr)
		}
	}
}

// busyWait says whether e is worth waiting out, and for how long: a 503 for
// its Retry-After or a doubling back-off, a rate limit only for a short
// Retry-After. Longer waits go back to the caller in e.RetryAfter.
func busyWait(e *Error, attempt int) (time.Duration, bool) {
	switch {
	case e.RetryAfter > maxAutoWait:
		return 0, false
	case e.StatusCode == http.StatusServiceUnavailable && e.RetryAfter == 0:
		return busyBackoff << attempt, true
	case e.StatusCode == http.StatusServiceUnavailable, e.Problem.Type == acme.ProblemRateLimited && e.RetryAfter > 0:
		return e.RetryAfter, true
	}
	return 0, false
}

// fitsDeadline reports whether waiting d still leaves time before ctx ends;
// there is no point sleeping only to fail on the deadline.
func fitsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}

// do sends one request. It stores the response's nonce and turns error
// statuses into *Error.
func (c *Client) do(ctx context.Context, method, u string, body []byte, accept string) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", method, u, err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", contentJOSE)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	hres, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer hres.Body.Close()
	res := &response{url: req.URL, status: hres.StatusCode, header: hres.Header}
	if res.body, err = io.ReadAll(io.LimitReader(hres.Body, maxBody)); err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", method, u, err)
	}
	c.nonces.add(hres.Header.Get("Replay-Nonce"))
	if res.status >= 400 {
		ra, _ := retryAfter(res.header, c.now())
		return nil, fmt.Errorf("%s %s: %w", method, u, responseError(res, ra))
	}
	return res, nil
}

// nonce takes a pooled nonce or asks newNonce for one.
func (c *Client) nonce(ctx context.Context) (string, error) {
	if n := c.nonces.take(); n != "" {
		return n, nil
	}
	dir, err := c.Directory(ctx)
	if err != nil {
		return "", err
	}
	res, err := c.do(ctx, http.MethodHead, dir.NewNonce, nil, "")
	if err != nil {
		return "", fmt.Errorf("fetching a nonce: %w", err)
	}
	if n := c.nonces.take(); n != "" {
		return n, nil
	}
	return "", fmt.Errorf("newNonce answered %d without a Replay-Nonce", res.status)
}

// noncePool holds unused nonces, newest first out: the newest is the least
// likely to have expired.
type noncePool struct {
	mu     sync.Mutex
	nonces []string
}

func (p *noncePool) add(n string) {
	if n == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.nonces) >= maxNonces {
		p.nonces = p.nonces[1:]
	}
	p.nonces = append(p.nonces, n)
}

func (p *noncePool) take() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.nonces) == 0 {
		return ""
	}
	n := p.nonces[len(p.nonces)-1]
	p.nonces = p.nonces[:len(p.nonces)-1]
	return n
}
