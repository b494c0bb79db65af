package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/client"
)

// TestRenewalInfo checks the ARI lookup against a bare server: the window
// is read and the order will carry replaces with the ARI cert ID.
func TestRenewalInfo(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x1234), AuthorityKeyId: []byte{1, 2, 3}, NotAfter: start.Add(48 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	wantID, _ := client.ARICertID(leaf)
	tests := []struct {
		name      string
		offerARI  bool
		wantFound bool
	}{
		{"offered", true, true},
		{"not offered", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/dir":
					d := map[string]string{"newNonce": srv.URL + "/nonce", "newAccount": srv.URL + "/acct", "newOrder": srv.URL + "/order"}
					if tt.offerARI {
						d["renewalInfo"] = srv.URL + "/ari"
					}
					json.NewEncoder(w).Encode(d)
				case strings.HasPrefix(r.URL.Path, "/ari/"+wantID):
					w.Write([]byte(`{"suggestedWindow":{"start":"2026-03-01T00:00:00Z","end":"2026-03-02T00:00:00Z"}}`))
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			c, err := client.New(client.Options{DirectoryURL: srv.URL + "/dir", Key: key})
			if err != nil {
				t.Fatal(err)
			}
			win, replaces, err := renewalInfo(context.Background(), c, leaf)
			if err != nil {
				t.Fatalf("got %v reading the directory, want none", err)
			}
			if (win != nil) != tt.wantFound {
				t.Fatalf("got window %v, want found=%v", win, tt.wantFound)
			}
			if tt.wantFound && (!win.Start.Equal(start) || replaces != wantID) {
				t.Errorf("got window start %v replaces %q, want %v %q", win.Start, replaces, start, wantID)
			}
			if !tt.wantFound && replaces != "" {
				t.Errorf("got replaces %q without ARI, want none", replaces)
			}
		})
	}
}
