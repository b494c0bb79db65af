package ra_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/policy"
	"github.com/quarry-ca/quarry/internal/ra"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
	"github.com/quarry-ca/quarry/internal/va"
)

// gatedVA answers each validation with err once release is closed.
type gatedVA struct {
	release chan struct{}
	err     error
}

func (v *gatedVA) Validate(ctx context.Context, req va.Request) ([]acme.ValidationRecord, error) {
	select {
	case <-v.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return []acme.ValidationRecord{{Hostname: req.Identifier.Value}}, v.err
}

func (v *gatedVA) CheckCAA(context.Context, va.CAARequest) error { return nil }

// TestRespondChallengeWaitsForOutcome: the challenge response carries the
// validation's outcome when it comes within the wait, and processing when
// it does not.
func TestRespondChallengeWaitsForOutcome(t *testing.T) {
	tests := []struct {
		name       string
		wait       time.Duration
		vaErr      error
		releaseIn  time.Duration // -1: not until the test ends
		want       acme.Status
		wantErrTyp core.Kind
	}{
		{name: "valid at once", wait: 2 * time.Second, want: acme.StatusValid},
		{name: "invalid at once, with its error", wait: 2 * time.Second, vaErr: core.Errorf(core.ErrUnauthorized, "wrong key authorization"),
			want: acme.StatusInvalid, wantErrTyp: core.ErrUnauthorized},
		{name: "outcome within the wait", wait: 2 * time.Second, releaseIn: 100 * time.Millisecond, want: acme.StatusValid},
		{name: "slower than the wait", wait: 50 * time.Millisecond, releaseIn: -1, want: acme.StatusProcessing},
		{name: "waiting turned off", wait: -1, releaseIn: -1, want: acme.StatusProcessing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &gatedVA{release: make(chan struct{}), err: tt.vaErr}
			switch {
			case tt.releaseIn == 0:
				close(v.release)
			case tt.releaseIn > 0:
				time.AfterFunc(tt.releaseIn, func() { close(v.release) })
			default:
				defer close(v.release)
			}
			r, acct, az := newChallengeRA(t, v, tt.wait)
			begin := time.Now()
			got, err := r.RespondChallenge(context.Background(), acct, az, az.Challenges[0])
			if err != nil {
				t.Fatalf("RespondChallenge: %v", err)
			}
			if got.Status != tt.want {
				t.Errorf("got status %s, want %s", got.Status, tt.want)
			}
			if tt.wantErrTyp != "" && (got.Error == nil || !errors.Is(got.Error, tt.wantErrTyp)) {
				t.Errorf("got error %v, want one of kind %s", got.Error, tt.wantErrTyp)
			}
			if took := time.Since(begin); tt.wait > 0 && took > tt.wait+time.Second {
				t.Errorf("got a response after %s, want it within the %s wait", took, tt.wait)
			}
		})
	}
}

func newChallengeRA(t *testing.T, v ra.Validator, wait time.Duration) (*ra.RA, *core.Account, *core.Authorization) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	acct := &core.Account{Key: []byte(`{}`), KeyID: "thumb", Status: acme.StatusValid, CreatedAt: now}
	if err := store.NewAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	az := &core.Authorization{AccountID: acct.ID, Identifier: acme.Identifier{Type: acme.IdentifierDNS, Value: "a.test"},
		Status: acme.StatusPending, Expires: now.Add(time.Hour),
		Challenges: []*core.Challenge{{Type: acme.ChallengeHTTP01, Status: acme.StatusPending, Token: "tok"}}}
	o := &core.Order{AccountID: acct.ID, Status: acme.StatusPending, Expires: now.Add(time.Hour),
		Identifiers: []acme.Identifier{az.Identifier}, CreatedAt: now}
	if err := store.NewOrder(ctx, o, []*core.Authorization{az}); err != nil {
		t.Fatal(err)
	}
	pol, _ := policy.New(policy.Config{Mode: policy.ModeDev})
	authority, err := ca.Load(ctx, ca.Config{DataDir: dir, KeyTypes: []string{ca.KeyECDSA}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ra.New(ra.Config{OrderLifetime: time.Hour, PendingAuthzLifetime: time.Hour, ValidAuthzLifetime: time.Hour, ChallengeWait: wait},
		ra.Deps{Store: store, VA: v, CA: authority, Policy: pol})
	if err != nil {
		t.Fatal(err)
	}
	// The RA's background validations must end before the store closes.
	t.Cleanup(func() {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := r.Drain(dctx); err != nil {
			t.Errorf("draining: %v", err)
		}
		store.Close()
	})
	return r, acct, az
}
