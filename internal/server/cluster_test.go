package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/jose"
)

func getStatus(t *testing.T, c *http.Client, url string) int {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestHealth checks /livez and /readyz on both listeners, before and after
// the database goes away, and that requests needing the database then get
// a bare serverInternal problem.
func TestHealth(t *testing.T) {
	e := startEnv(t, nil)
	r := newRaw(t, e)
	acmeBase := r.base
	plainBase := "http://" + e.srv.HTTPAddr()
	check := func(stage string, wantReady int) {
		t.Helper()
		for _, tt := range []struct {
			url  string
			want int
		}{
			{acmeBase + "/livez", http.StatusOK},
			{acmeBase + "/readyz", wantReady},
			{plainBase + "/livez", http.StatusOK},
			{plainBase + "/readyz", wantReady},
		} {
			if got := getStatus(t, r.http, tt.url); got != tt.want {
				t.Errorf("%s: GET %s: got %d, want %d", stage, tt.url, got, tt.want)
			}
		}
	}
	check("database up", http.StatusOK)
	if got := getStatus(t, r.http, acmeBase+"/readyz/x"); got != http.StatusNotFound {
		t.Errorf("GET /readyz/x: got %d, want 404 from the ACME handler", got)
	}

	if err := e.srv.CloseStoreForTest(); err != nil {
		t.Fatalf("closing the store: %v", err)
	}
	check("database gone", http.StatusServiceUnavailable)
	resp := r.post(r.dir.NewOrder, r.sign(r.key, r.kid, r.dir.NewOrder, []byte(`{"identifiers":[{"type":"dns","value":"a.test"}]}`)))
	var p acme.Problem
	if err := json.Unmarshal(resp.body, &p); err != nil {
		t.Fatalf("new-order with the database gone: got %d %q, want a problem document", resp.StatusCode, resp.body)
	}
	if resp.StatusCode != http.StatusInternalServerError || p.Type != acme.ProblemServerInternal {
		t.Errorf("new-order with the database gone: got %d %s, want 500 serverInternal", resp.StatusCode, p.Type)
	}
	if strings.Contains(strings.ToLower(p.Detail), "sql") || strings.Contains(p.Detail, "database") {
		t.Errorf("serverInternal detail: got %q, want nothing about internals", p.Detail)
	}
}

// TestSharedNoncesAcrossInstances starts two instances on one data
// directory and database: a nonce issued by A is accepted once by B and
// then refused by A; each names itself in X-Quarry-Instance.
func TestSharedNoncesAcrossInstances(t *testing.T) {
	dataDir := t.TempDir()
	cluster := func(id string) func(*config.Config) {
		return func(c *config.Config) {
			c.DataDir = dataDir
			c.Cluster = config.Cluster{Enabled: true, InstanceID: id, InstanceHeader: true}
		}
	}
	a := startEnv(t, cluster("a"))
	b := startEnv(t, cluster("b"))
	ra, rb := newRaw(t, a), newRaw(t, b)

	nonce := ra.nonce()
	body, err := jose.Sign(ra.key, "", nonce, rb.dir.NewAccount, []byte(`{"onlyReturnExisting":true}`))
	if err != nil {
		t.Fatal(err)
	}
	got := rb.post(rb.dir.NewAccount, body)
	if got.StatusCode != http.StatusOK {
		t.Fatalf("A's nonce on B: got %d %s, want 200", got.StatusCode, got.body)
	}
	if id := got.Header.Get("X-Quarry-Instance"); id != "b" {
		t.Errorf("X-Quarry-Instance from B: got %q, want b", id)
	}
	body, err = jose.Sign(ra.key, "", nonce, ra.dir.NewAccount, []byte(`{"onlyReturnExisting":true}`))
	if err != nil {
		t.Fatal(err)
	}
	got = ra.post(ra.dir.NewAccount, body)
	var p acme.Problem
	_ = json.Unmarshal(got.body, &p)
	if got.StatusCode != http.StatusBadRequest || p.Type != acme.ProblemBadNonce {
		t.Errorf("the same nonce again on A: got %d %s, want 400 badNonce", got.StatusCode, p.Type)
	}
	if id := got.Header.Get("X-Quarry-Instance"); id != "a" {
		t.Errorf("X-Quarry-Instance from A: got %q, want a", id)
	}
}

// TestClusterRevocationReachesCRL revokes on B, which does not hold the
// background-jobs lease (A started first and took it): B still
// regenerates the shard, and A serves the new CRL from the shared store.
func TestClusterRevocationReachesCRL(t *testing.T) {
	dataDir := t.TempDir()
	cluster := func(id string) func(*config.Config) {
		return func(c *config.Config) {
			c.DataDir = dataDir
			c.Cluster = config.Cluster{Enabled: true, InstanceID: id}
			c.CRL.AfterRevocationDelay = config.Duration(100 * time.Millisecond)
		}
	}
	a := startEnv(t, cluster("a"))
	b := startEnv(t, cluster("b"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ca := a.client()
	a.register(ctx, ca)
	chain := a.issue(ctx, ca, "revoked-on-b.quarry.test")
	leaf := a.verify(chain, "revoked-on-b.quarry.test")
	if !strings.HasPrefix(leaf.CRLDistributionPoints[0], "http://"+a.srv.HTTPAddr()+"/") {
		t.Fatalf("CRL distribution point: got %s, want one on A's listener", leaf.CRLDistributionPoints[0])
	}
	// The round at A's start published every shard without this serial.
	fetchCRL(t, leaf.CRLDistributionPoints[0], anyCRL)

	cb := b.client()
	cb.Key = ca.Key
	if err := cb.RevokeCert(ctx, nil, chain[0], xacme.CRLReasonKeyCompromise); err != nil {
		t.Fatalf("revoking on B: %v", err)
	}
	fetchCRL(t, leaf.CRLDistributionPoints[0], lists(leaf.SerialNumber.Text(16)))
}
