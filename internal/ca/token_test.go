package ca

import (
	"context"
	"crypto/elliptic"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/quarry-ca/quarry/internal/core"
)

func TestTokenSingleUse(t *testing.T) {
	c := shared(t)
	other, _ := loadCopy(t, Config{KeyTypes: []string{KeyECDSA}})
	req := IssueRequest{PublicKey: ecKey(t, elliptic.P256()).Public(), DNSNames: []string{"example.com"}}
	tests := []struct {
		name    string
		run     func(t *testing.T) error
		wantErr string
	}{
		{"first use signs", func(t *testing.T) error {
			tok := mustPrepare(t, c, req)
			_, err := c.sign(context.Background(), tok)
			return err
		}, ""},
		{"second use refused", func(t *testing.T) error {
			tok := mustPrepare(t, c, req)
			if _, err := c.sign(context.Background(), tok); err != nil {
				t.Fatal(err)
			}
			_, err := c.sign(context.Background(), tok)
			return err
		}, "already used"},
		{"token of another CA refused", func(t *testing.T) error {
			_, err := other.sign(context.Background(), mustPrepare(t, c, req))
			return err
		}, "not from this CA"},
		{"nil token refused", func(t *testing.T) error {
			_, err := c.sign(context.Background(), nil)
			return err
		}, "not from this CA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run(t)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got %v, want success", err)
			case tt.wantErr != "" && (!errors.Is(err, core.ErrServerInternal) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want serverInternal containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTokenRacingSigners(t *testing.T) {
	c := shared(t)
	tok := mustPrepare(t, c, IssueRequest{PublicKey: ecKey(t, elliptic.P256()).Public(), DNSNames: []string{"example.com"}})
	var wg sync.WaitGroup
	var mu sync.Mutex
	signed := 0
	for range 16 {
		wg.Go(func() {
			if _, err := c.sign(context.Background(), tok); err == nil {
				mu.Lock()
				signed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if signed != 1 {
		t.Errorf("16 racing signs of one token: got %d certificates, want 1", signed)
	}
}

func mustPrepare(t *testing.T, c *CA, req IssueRequest) *issuanceToken {
	t.Helper()
	tok, err := c.prepare(context.Background(), req, c.cfg.Profiles[0], false)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return tok
}

func TestConcurrentIssue(t *testing.T) {
	c := shared(t)
	key := ecKey(t, elliptic.P256()).Public()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 4 {
		wg.Go(func() {
			for range 10 {
				if _, err := c.Issue(context.Background(), IssueRequest{PublicKey: key, DNSNames: []string{"example.com"}}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Issue: %v", err)
	}
}
