package varemote

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/va"
)

// ClientConfig names one remote perspective and how to reach it.
type ClientConfig struct {
	Name string
	URL  string // https://host:port of `quarry va`
	// RIR is the regional Internet registry whose service region the
	// perspective is in (ARIN, RIPE, APNIC, LACNIC, AFRINIC); optional.
	RIR string
	// TLS holds the primary's client certificate and the roots that the
	// perspective's server certificate must chain to.
	TLS *tls.Config
	// CAAIdentities are the primary's; they travel with each CAA request so
	// every perspective judges records by the same names.
	CAAIdentities []string
}

// Client asks one remote perspective. It is safe for concurrent use.
type Client struct {
	name, base, rir string
	caaIdentities   []string
	http            *http.Client
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("varemote: perspective %q: %q is not an https URL", cfg.Name, cfg.URL)
	}
	if cfg.TLS == nil || len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetClientCertificate == nil {
		return nil, fmt.Errorf("varemote: perspective %q: a client certificate is required", cfg.Name)
	}
	tr := &http.Transport{
		// Never through an environment proxy: the connection is between
		// the CA's own hosts.
		Proxy:               nil,
		TLSClientConfig:     cfg.TLS.Clone(),
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 16,
	}
	return &Client{
		name: cfg.Name, base: strings.TrimRight(cfg.URL, "/"), rir: cfg.RIR,
		caaIdentities: cfg.CAAIdentities,
		http:          &http.Client{Transport: tr, CheckRedirect: noRedirects},
	}, nil
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// RIR is the perspective's regional Internet registry, if configured.
func (c *Client) RIR() string { return c.rir }

// Close closes idle connections to the perspective.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Name is the perspective's name, for logs.
func (c *Client) Name() string { return c.name }

// Validate asks the perspective to perform req.
func (c *Client) Validate(ctx context.Context, req va.Request) ([]acme.ValidationRecord, error) {
	res, err := c.call(ctx, PathValidate, validateRequest{
		Identifier: req.Identifier, Wildcard: req.Wildcard, Challenge: req.Challenge,
		Token: req.Token, KeyAuthorization: req.KeyAuthorization,
	})
	if err != nil {
		return nil, err
	}
	return res.Records, res.err()
}

// CheckCAA asks the perspective to check CAA for req.
func (c *Client) CheckCAA(ctx context.Context, req va.CAARequest) error {
	res, err := c.call(ctx, PathCAA, caaRequest{
		Identifier: req.Identifier, Wildcard: req.Wildcard, AccountURI: req.AccountURI,
		Method: req.Method, CAAIdentities: c.caaIdentities,
	})
	if err != nil {
		return err
	}
	return res.err()
}

// call posts body to path and decodes the answer. A perspective that
// cannot be reached or answers out of protocol yields a serverInternal
// error: the failure is the CA's, not the subscriber's.
func (c *Client) call(ctx context.Context, path string, body any) (*result, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encoding request for perspective %s: %w", c.name, err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("perspective %s: %w", c.name, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("asking perspective %s: %w", c.name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading perspective %s's answer: %w", c.name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("perspective %s answered %s: %s", c.name, resp.Status, truncate(string(data), 200))
	}
	if len(data) > maxBody {
		return nil, fmt.Errorf("perspective %s's answer exceeds %d bytes", c.name, maxBody)
	}
	var res result
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("decoding perspective %s's answer: %w", c.name, err)
	}
	return &res, nil
}

// err turns the answer's error into a *core.Error; an unexpected kind
// becomes the perspective's own failure.
func (r *result) err() error {
	if r.Error == nil {
		return nil
	}
	if !reportable(r.Error.Kind) {
		return fmt.Errorf("perspective %s reported %q: %s", r.Perspective, r.Error.Kind, truncate(r.Error.Detail, 200))
	}
	return core.Errorf(r.Error.Kind, "%s", truncate(r.Error.Detail, maxDetail))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
