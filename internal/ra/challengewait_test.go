package ra_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/ra"
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
	now := time.Now()
	env := newStoreEnv(t, now)
	_, az := env.newOrder(t, now, "a.test", acme.StatusPending)
	r := env.newRA(t, v, wait)
	// The RA's background validations must end before the store closes.
	t.Cleanup(func() {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := r.Drain(dctx); err != nil {
			t.Errorf("draining: %v", err)
		}
	})
	return r, env.acct, az
}
