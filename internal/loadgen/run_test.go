package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// TestRunIssues runs a few complete flows per challenge type against one
// Quarry; the three runs share it and its responders and run at once.
func TestRunIssues(t *testing.T) {
	tg := startTarget(t)
	tests := []struct {
		name      string
		challenge acme.ChallengeType
		key       KeyType
		reuse     bool
		revoke    bool
		maxNames  int
	}{
		{name: "http-01, new accounts, revoke", challenge: acme.ChallengeHTTP01, revoke: true, maxNames: 2},
		{name: "tls-alpn-01, reused account, RSA", challenge: acme.ChallengeTLSALPN01, key: KeyRSA, reuse: true},
		{name: "dns-01, three names", challenge: acme.ChallengeDNS01, reuse: true, maxNames: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const flows = 4
			cfg := Config{
				DirectoryURL: tg.dirURL, RootCAs: tg.roots,
				Concurrency: 2, Flows: flows, Duration: 30 * time.Second,
				MaxNames: tt.maxNames, Challenge: tt.challenge, KeyType: tt.key,
				ReuseAccount: tt.reuse, Revoke: tt.revoke,
			}
			rep, err := Run(context.Background(), cfg, tg.resp, Deps{})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			checkReport(t, rep, cfg, flows)
		})
	}
	t.Run("bounded by time", func(t *testing.T) {
		t.Parallel()
		// Long enough that a flow completes even on a loaded machine under
		// the race detector; the point is that the run stops by itself.
		const d = 5 * time.Second
		cfg := Config{DirectoryURL: tg.dirURL, RootCAs: tg.roots, Concurrency: 2, Duration: d, Challenge: acme.ChallengeHTTP01}
		begin := time.Now()
		rep, err := Run(context.Background(), cfg, tg.resp, Deps{})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if took := time.Since(begin); took < d || took > d+3*time.Second {
			t.Errorf("got a run of %s, want about %s", took, d)
		}
		if rep.Succeeded < 1 || rep.Failed != 0 || rep.Started != rep.Succeeded+rep.Aborted {
			t.Errorf("got %d started, %d succeeded, %d failed, %d aborted (errors %v); want >= 1 succeeded, none failed, the rest aborted",
				rep.Started, rep.Succeeded, rep.Failed, rep.Aborted, rep.Errors)
		}
	})
}

func checkReport(t *testing.T, rep *Report, cfg Config, flows int) {
	t.Helper()
	if rep.Succeeded != flows || rep.Failed != 0 || rep.Aborted != 0 || rep.Started != flows {
		t.Fatalf("got %d started, %d succeeded, %d failed, %d aborted (errors %v); want %d, %d, 0, 0",
			rep.Started, rep.Succeeded, rep.Failed, rep.Aborted, rep.Errors, flows, flows)
	}
	wantAccounts := flows
	if cfg.ReuseAccount {
		wantAccounts = cfg.Concurrency
	}
	want := map[Step]int{StepAccount: wantAccounts, StepOrder: flows, StepAuthz: flows, StepFinalize: flows, StepDownload: flows, StepFlow: flows}
	if cfg.Revoke {
		want[StepRevoke] = flows
	}
	for s, n := range want {
		if got := rep.Latency[s].Count; got != n {
			t.Errorf("got %d %s samples, want %d", got, s, n)
		}
	}
	if got := len(rep.Latency); got != len(want) {
		t.Errorf("got %d steps in the report, want %d", got, len(want))
	}
	completed := 0
	for _, s := range rep.Timeline {
		completed += s.Completed
	}
	if completed != flows {
		t.Errorf("got %d completions in the time series, want %d", completed, flows)
	}
	max := cfg.MaxNames
	if max == 0 {
		max = 1
	}
	if rep.Names < flows || rep.Names > flows*max {
		t.Errorf("got %d names, want %d..%d", rep.Names, flows, flows*max)
	}
	if l := rep.Latency[StepFlow]; l.P50 <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.Max {
		t.Errorf("got flow latency %+v, want 0 < p50 <= p90 <= p99 <= max", l)
	}
	if rep.IssuancesPerSecond <= 0 {
		t.Errorf("got %.2f issuances/s, want > 0", rep.IssuancesPerSecond)
	}
}
