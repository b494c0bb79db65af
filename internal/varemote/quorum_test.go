package varemote

import "testing"

func TestAllowedFailures(t *testing.T) {
	tests := []struct{ remotes, want int }{
		{1, 0}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 2}, {7, 2}, {12, 2},
	}
	for _, tt := range tests {
		if got := AllowedFailures(tt.remotes); got != tt.want {
			t.Errorf("AllowedFailures(%d): got %d, want %d", tt.remotes, got, tt.want)
		}
	}
}

func TestQuorum(t *testing.T) {
	tests := []struct {
		name              string
		remotes, max      int
		ok, failed        int
		wantErr           bool
		wantDone, wantMet bool
		wantNeeded        int
	}{
		{name: "3 remotes, all agree", remotes: 3, max: -1, ok: 3, wantDone: true, wantMet: true, wantNeeded: 2},
		{name: "3 remotes, 1 dissents", remotes: 3, max: -1, ok: 2, failed: 1, wantDone: true, wantMet: true, wantNeeded: 2},
		{name: "3 remotes, 2 agree so far", remotes: 3, max: -1, ok: 2, wantDone: true, wantMet: true, wantNeeded: 2},
		{name: "3 remotes, 1 agrees 1 dissents so far", remotes: 3, max: -1, ok: 1, failed: 1, wantDone: false, wantNeeded: 2},
		{name: "3 remotes, 2 dissent", remotes: 3, max: -1, ok: 1, failed: 2, wantDone: true, wantMet: false, wantNeeded: 2},
		{name: "2 remotes, 1 dissents", remotes: 2, max: -1, ok: 1, failed: 1, wantDone: true, wantMet: true, wantNeeded: 1},
		{name: "1 remote must agree", remotes: 1, max: -1, failed: 1, wantDone: true, wantMet: false, wantNeeded: 1},
		{name: "5 remotes, 2 dissent", remotes: 5, max: -1, ok: 3, failed: 2, wantDone: true, wantMet: false, wantNeeded: 4},
		{name: "6 remotes, 2 dissent", remotes: 6, max: -1, ok: 4, failed: 2, wantDone: true, wantMet: true, wantNeeded: 4},
		{name: "6 remotes, 3 dissent", remotes: 6, max: -1, ok: 3, failed: 3, wantDone: true, wantMet: false, wantNeeded: 4},
		{name: "stricter: 3 remotes, none may dissent", remotes: 3, max: 0, ok: 2, failed: 1, wantDone: true, wantMet: false, wantNeeded: 3},
		{name: "looser than the BRs is refused", remotes: 3, max: 2, wantErr: true},
		{name: "no remotes is refused", remotes: 0, max: -1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := newQuorum(tt.remotes, tt.max)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("newQuorum(%d, %d): got no error, want one", tt.remotes, tt.max)
				}
				return
			}
			if err != nil {
				t.Fatalf("newQuorum(%d, %d): got %v, want no error", tt.remotes, tt.max, err)
			}
			if got := q.needed(); got != tt.wantNeeded {
				t.Errorf("needed: got %d, want %d", got, tt.wantNeeded)
			}
			done, met := q.decided(tt.ok, tt.failed)
			if done != tt.wantDone || met != tt.wantMet {
				t.Errorf("decided(%d, %d): got done=%v met=%v, want done=%v met=%v", tt.ok, tt.failed, done, met, tt.wantDone, tt.wantMet)
			}
		})
	}
}
