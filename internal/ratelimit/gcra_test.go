package ratelimit

import (
	"testing"
	"time"
)

func TestSpendArithmetic(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	lim := Limit{Count: 4, Period: time.Hour} // one every 15 minutes
	tests := []struct {
		name        string
		tat         time.Time
		cost        int64
		wantAllowed bool
		wantTAT     time.Time
		wantRetry   time.Duration
	}{
		{"empty bucket takes one", time.Time{}, 1, true, now.Add(15 * time.Minute), 0},
		{"empty bucket takes the whole burst", time.Time{}, 4, true, now.Add(time.Hour), 0},
		{"empty bucket refuses more than the burst", time.Time{}, 5, false, time.Time{}, 15 * time.Minute},
		{"past TAT is an empty bucket", now.Add(-time.Hour), 4, true, now.Add(time.Hour), 0},
		{"full bucket refuses one", now.Add(time.Hour), 1, false, time.Time{}, 15 * time.Minute},
		{"nearly full takes its last", now.Add(45 * time.Minute), 1, true, now.Add(time.Hour), 0},
		{"full minus a second waits a second less", now.Add(time.Hour - time.Second), 1, false, time.Time{}, 15*time.Minute - time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := spend(lim, tt.tat, now, tt.cost)
			if d.allowed != tt.wantAllowed || !d.newTAT.Equal(tt.wantTAT) || d.retryIn != tt.wantRetry {
				t.Fatalf("got allowed=%v tat=%v retry=%v, want %v %v %v", d.allowed, d.newTAT, d.retryIn, tt.wantAllowed, tt.wantTAT, tt.wantRetry)
			}
		})
	}
}

func TestRefundArithmetic(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	lim := Limit{Count: 4, Period: time.Hour}
	tests := []struct {
		name string
		tat  time.Time
		want time.Time
	}{
		{"gives one interval back", now.Add(time.Hour), now.Add(45 * time.Minute)},
		{"never below empty", now.Add(5 * time.Minute), now},
		{"past TAT stays empty", now.Add(-time.Hour), now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := refund(lim, tt.tat, now, 1); !got.Equal(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// An interval that does not divide the period evenly must still admit
// exactly Count from an empty bucket.
func TestUnevenIntervalAdmitsExactlyCount(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	lim := Limit{Count: 7, Period: time.Hour}
	var tat time.Time
	for i := range lim.Count {
		d := spend(lim, tat, now, 1)
		if !d.allowed {
			t.Fatalf("spend %d: got refused, want allowed", i+1)
		}
		tat = d.newTAT
	}
	if d := spend(lim, tat, now, 1); d.allowed {
		t.Fatalf("spend %d: got allowed, want refused", lim.Count+1)
	}
}

func TestCertificateSubjects(t *testing.T) {
	got := certificateSubjects(ids("www.example.co.uk", "api.example.co.uk", "*.example.com", "EXAMPLE.com", "ip:2001:db8:1:2:3::1", "ip:2001:db8:1:2::9", "ip:192.0.2.7"))
	want := []string{"192.0.2.7", "2001:db8:1:2::/64", "example.co.uk", "example.com"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestFQDNSetKeyIgnoresOrderCaseAndDuplicates(t *testing.T) {
	a := fqdnSetKey([]string{"b.example.com", "a.example.com"})
	b := fqdnSetKey([]string{"A.example.com", "b.example.com.", "a.example.com"})
	c := fqdnSetKey([]string{"a.example.com"})
	if a != b {
		t.Errorf("same set, different spelling: got %s and %s, want equal", a, b)
	}
	if a == c {
		t.Errorf("different sets: got equal keys %s", a)
	}
}
