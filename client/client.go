package client

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// modulePath names this module in build info, to find the client's version.
const modulePath = "github.com/quarry-ca/quarry"

// Options configures a Client. DirectoryURL and Key are required.
type Options struct {
	DirectoryURL string
	Key          crypto.Signer // the account key: ECDSA P-256/P-384, RSA or Ed25519
	// AccountURL is the account's URL (the JWS kid) when already known;
	// otherwise the first request that needs it looks the account up.
	AccountURL string
	// HTTPClient replaces the default client (60s timeout, system roots).
	HTTPClient *http.Client
	// RootCAs, when set, is the only trust for the server's TLS certificate,
	// e.g. Quarry's roots.pem or Pebble's minica. Not with HTTPClient.
	RootCAs *x509.CertPool
	// UserAgent is put before "quarry-client/<version>" in User-Agent.
	UserAgent string
	// Now and Sleep replace the clock and the wait between polls or retries.
	// Sleep must return early with ctx.Err() when ctx ends.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client is an ACME client for one server and one account key. It is safe
// for concurrent use.
type Client struct {
	dirURL    string
	http      *http.Client
	userAgent string
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error
	nonces    noncePool

	mu         sync.Mutex
	key        crypto.Signer
	accountURL string
	dir        *acme.Directory
}

// New returns a Client. It does no I/O; the directory is fetched on first use.
func New(opts Options) (*Client, error) {
	if opts.DirectoryURL == "" {
		return nil, core.Errorf(core.ErrMalformed, "client options: DirectoryURL is required")
	}
	if opts.Key == nil {
		return nil, core.Errorf(core.ErrMalformed, "client options: Key is required")
	}
	if opts.HTTPClient != nil && opts.RootCAs != nil {
		return nil, core.Errorf(core.ErrMalformed, "client options: set RootCAs or HTTPClient, not both")
	}
	c := &Client{
		dirURL:     opts.DirectoryURL,
		http:       opts.HTTPClient,
		userAgent:  strings.TrimSpace(opts.UserAgent + " quarry-client/" + version()),
		now:        opts.Now,
		sleep:      opts.Sleep,
		key:        opts.Key,
		accountURL: opts.AccountURL,
	}
	if c.http == nil {
		c.http = defaultHTTPClient(opts.RootCAs)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleep
	}
	return c, nil
}

func defaultHTTPClient(roots *x509.CertPool) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if roots != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: t, Timeout: 60 * time.Second}
}

// version is this module's version as the binary was built with it.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	if bi.Main.Path != modulePath {
		v = ""
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				v = d.Version
			}
		}
	}
	if v == "" || v == "(devel)" {
		return "devel"
	}
	return v
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Directory returns the server's directory, fetched once and then cached.
func (c *Client) Directory(ctx context.Context) (*acme.Directory, error) {
	c.mu.Lock()
	dir := c.dir
	c.mu.Unlock()
	if dir != nil {
		return dir, nil
	}
	res, err := c.get(ctx, c.dirURL)
	if err != nil {
		return nil, fmt.Errorf("fetching directory: %w", err)
	}
	dir = new(acme.Directory)
	if err := json.Unmarshal(res.body, dir); err != nil {
		return nil, fmt.Errorf("decoding directory %s: %w", c.dirURL, err)
	}
	if dir.NewNonce == "" || dir.NewAccount == "" || dir.NewOrder == "" {
		return nil, fmt.Errorf("directory %s lacks newNonce, newAccount or newOrder", c.dirURL)
	}
	c.mu.Lock()
	c.dir = dir
	c.mu.Unlock()
	return dir, nil
}

// KeyAuthorization returns the key authorization for a challenge token
// under the current account key.
func (c *Client) KeyAuthorization(token string) (string, error) {
	return acme.KeyAuthorization(token, c.accountKey().Public())
}

// AccountURL returns the account URL if known, "" before the account is
// registered or looked up.
func (c *Client) AccountURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accountURL
}

func (c *Client) accountKey() crypto.Signer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.key
}

// account returns the signer for kid-signed requests, looking the account
// up by key when its URL is not known yet.
func (c *Client) account(ctx context.Context) (signer, error) {
	c.mu.Lock()
	s := signer{key: c.key, kid: c.accountURL}
	c.mu.Unlock()
	if s.kid != "" {
		return s, nil
	}
	a, err := c.LookupAccount(ctx)
	if err != nil {
		return signer{}, err
	}
	return signer{key: s.key, kid: a.URL}, nil
}

// postJSON signs and posts v as JSON with the account's kid and decodes the
// JSON answer into out (when out is non-nil).
func (c *Client) postJSON(ctx context.Context, u string, v, out any) (*response, error) {
	var payload []byte
	if v != nil {
		var err error
		if payload, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("encoding request to %s: %w", u, err)
		}
	}
	s, err := c.account(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.post(ctx, s, u, payload, "")
	if err != nil {
		return nil, err
	}
	return res, decode(res, out)
}

// decode unmarshals a JSON response body into out, if out is non-nil.
func decode(res *response, out any) error {
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res.body, out); err != nil {
		return fmt.Errorf("decoding response from %s: %w", res.url, err)
	}
	return nil
}
