package varemote

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/core/coretest"
	"github.com/quarry-ca/quarry/internal/va"
)

// fake answers every check with err, after delay (or when ctx ends).
type fake struct {
	name  string
	err   error
	delay time.Duration
	rir   string
}

func (f fake) Name() string { return f.name }
func (f fake) RIR() string  { return f.rir }

func (f fake) wait(ctx context.Context) error {
	select {
	case <-time.After(f.delay):
		return f.err
	case <-ctx.Done():
		return core.Errorf(core.ErrServerInternal, "perspective timed out")
	}
}

func (f fake) Validate(ctx context.Context, _ va.Request) ([]acme.ValidationRecord, error) {
	return []acme.ValidationRecord{{Hostname: f.name}}, f.wait(ctx)
}

func (f fake) CheckCAA(ctx context.Context, _ va.CAARequest) error { return f.wait(ctx) }

var (
	errBadTXT  = core.Errorf(core.ErrIncorrectResponse, "wrong TXT record")
	errNoConn  = core.Errorf(core.ErrConnection, "connection refused")
	errDown    = errors.New("asking perspective: connection refused") // a perspective's own failure
	errCAA     = core.Errorf(core.ErrCAA, "CAA record forbids issuance")
	errCAADNS  = core.Errorf(core.ErrDNS, "SERVFAIL looking up CAA")
	dnsRequest = va.Request{Identifier: acme.Identifier{Type: acme.IdentifierDNS, Value: "a.test"}, Challenge: acme.ChallengeDNS01, Token: "t", KeyAuthorization: "k"}
)

func remotes(errs ...error) []Remote {
	var rs []Remote
	for i, err := range errs {
		rs = append(rs, fake{name: string(rune('a' + i)), err: err})
	}
	return rs
}

func TestMultiValidate(t *testing.T) {
	tests := []struct {
		name       string
		primary    error
		remotes    []Remote
		noFailures bool      // MaxFailures 0, stricter than the BRs
		wantKind   core.Kind // "" means success
		wantDetail string
	}{
		{name: "all succeed", remotes: remotes(nil, nil, nil)},
		{name: "one of three dissents", remotes: remotes(nil, nil, errBadTXT)},
		{name: "two of three dissent", remotes: remotes(nil, errBadTXT, errBadTXT), wantKind: core.ErrIncorrectResponse,
			wantDetail: "validation succeeded from 1 of 3 remote perspectives; at least 2 needed; a remote perspective reported: wrong TXT record"},
		{name: "dissents of different kinds", remotes: remotes(nil, errBadTXT, errNoConn), wantKind: core.ErrUnauthorized,
			wantDetail: "validation succeeded from 1 of 3 remote perspectives; at least 2 needed"},
		{name: "a perspective's own failure does not set the kind", remotes: remotes(nil, errDown, errNoConn), wantKind: core.ErrConnection,
			wantDetail: "validation succeeded from 1 of 3 remote perspectives"},
		{name: "perspectives down is the CA's failure", remotes: remotes(nil, errDown, errDown), wantKind: core.ErrServerInternal,
			wantDetail: "validation succeeded from 1 of 3 remote perspectives; at least 2 needed"},
		{name: "primary failure wins", primary: errNoConn, remotes: remotes(nil, nil, nil), wantKind: core.ErrConnection, wantDetail: "connection refused"},
		{name: "six remotes, two dissent", remotes: remotes(nil, nil, nil, nil, errBadTXT, errBadTXT)},
		{name: "six remotes, three dissent", remotes: remotes(nil, nil, nil, errBadTXT, errBadTXT, errBadTXT), wantKind: core.ErrIncorrectResponse,
			wantDetail: "validation succeeded from 3 of 6 remote perspectives; at least 4 needed"},
		{name: "stricter allowance", noFailures: true, remotes: remotes(nil, nil, errBadTXT), wantKind: core.ErrIncorrectResponse,
			wantDetail: "validation succeeded from 2 of 3 remote perspectives; at least 3 needed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max := -1
			if tt.noFailures {
				max = 0
			}
			m, err := NewMulti(MultiConfig{Timeout: 2 * time.Second, MaxFailures: max}, fake{name: "primary", err: tt.primary}, tt.remotes, nil)
			if err != nil {
				t.Fatalf("NewMulti: %v", err)
			}
			records, err := m.Validate(context.Background(), dnsRequest)
			coretest.CheckKind(t, err, tt.wantKind, tt.wantDetail)
			if len(records) != 1 || records[0].Hostname != "primary" {
				t.Errorf("records: got %+v, want the primary's only", records)
			}
		})
	}
}

func TestMultiCAA(t *testing.T) {
	tests := []struct {
		name       string
		remotes    []Remote
		wantKind   core.Kind
		wantDetail string
	}{
		{name: "one dissent", remotes: remotes(nil, errCAA, nil)},
		{name: "two refuse", remotes: remotes(errCAA, errCAA, nil), wantKind: core.ErrCAA,
			wantDetail: "CAA permitted issuance from 1 of 3 remote perspectives; at least 2 needed; a remote perspective reported: CAA record forbids issuance"},
		{name: "refusal and lookup failure", remotes: remotes(errCAA, errCAADNS, nil), wantKind: core.ErrCAA,
			wantDetail: "CAA permitted issuance from 1 of 3 remote perspectives"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMulti(MultiConfig{Timeout: 2 * time.Second, MaxFailures: -1}, fake{name: "primary"}, tt.remotes, nil)
			if err != nil {
				t.Fatalf("NewMulti: %v", err)
			}
			err = m.CheckCAA(context.Background(), va.CAARequest{Identifier: dnsRequest.Identifier})
			coretest.CheckKind(t, err, tt.wantKind, tt.wantDetail)
		})
	}
}

// TestMultiTimeout: a silent perspective counts as failed once the
// timeout passes, and does not hold up a quorum the others already met.
func TestMultiTimeout(t *testing.T) {
	slow := fake{name: "slow", delay: time.Hour}
	tests := []struct {
		name     string
		remotes  []Remote
		wantKind core.Kind
		maxTime  time.Duration
	}{
		{name: "quorum met without the silent one", remotes: []Remote{fake{name: "a"}, fake{name: "b"}, slow}, maxTime: time.Second},
		{name: "quorum needs the silent ones", remotes: []Remote{fake{name: "a"}, slow, slow}, wantKind: core.ErrServerInternal, maxTime: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMulti(MultiConfig{Timeout: 300 * time.Millisecond, MaxFailures: -1}, fake{name: "primary"}, tt.remotes, nil)
			if err != nil {
				t.Fatalf("NewMulti: %v", err)
			}
			start := time.Now()
			_, err = m.Validate(context.Background(), dnsRequest)
			coretest.CheckKind(t, err, tt.wantKind, "")
			if took := time.Since(start); took > tt.maxTime {
				t.Errorf("took %s, want at most %s", took, tt.maxTime)
			}
		})
	}
}

// TestMultiRegions: when the remotes name their regional Internet
// registries, the corroborating ones must span two of them.
func TestMultiRegions(t *testing.T) {
	at := func(name, rir string, err error) Remote { return fake{name: name, rir: rir, err: err} }
	tests := []struct {
		name       string
		remotes    []Remote
		wantNewErr string
		wantKind   core.Kind
		wantDetail string
	}{
		{name: "quorum spans two regions", remotes: []Remote{at("a", "ARIN", nil), at("b", "RIPE", nil), at("c", "RIPE", errBadTXT)}},
		{name: "quorum in one region", remotes: []Remote{at("a", "ARIN", errBadTXT), at("b", "RIPE", nil), at("c", "RIPE", nil)},
			wantKind: core.ErrIncorrectResponse, wantDetail: "validation succeeded from 2 of 3 remote perspectives, all in one regional Internet registry's region; at least 2 regions needed"},
		{name: "too few corroborate", remotes: []Remote{at("a", "ARIN", errBadTXT), at("b", "RIPE", errBadTXT), at("c", "APNIC", nil)},
			wantKind: core.ErrIncorrectResponse, wantDetail: "validation succeeded from 1 of 3 remote perspectives; at least 2 needed"},
		{name: "only some name a region", remotes: []Remote{at("a", "ARIN", nil), at("b", "", nil), at("c", "RIPE", nil)}, wantNewErr: "either every remote perspective"},
		{name: "all in one region", remotes: []Remote{at("a", "ARIN", nil), at("b", "ARIN", nil)}, wantNewErr: "at least two regional Internet registries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMulti(MultiConfig{Timeout: 2 * time.Second, MaxFailures: -1}, fake{name: "primary"}, tt.remotes, nil)
			if tt.wantNewErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantNewErr) {
					t.Fatalf("NewMulti: got %v, want an error mentioning %q", err, tt.wantNewErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewMulti: %v", err)
			}
			_, err = m.Validate(context.Background(), dnsRequest)
			coretest.CheckKind(t, err, tt.wantKind, tt.wantDetail)
		})
	}
}
