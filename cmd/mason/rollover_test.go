package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRolloverLostAnswer puts a proxy in front of Quarry that breaks the
// keyChange exchange in the ways a network can, and checks that mason ends
// with the key the server knows, every time.
func TestRolloverLostAnswer(t *testing.T) {
	q := startQuarry(t)
	tests := []struct {
		name    string
		forward bool // Quarry gets the keyChange (and switches)
		dark    bool // after it, the proxy fails everything until reset
		want    int
		wantNew bool // the key file holds the new key afterwards
	}{
		{"answer lost after the switch", true, false, exitOK, true},
		{"request lost before the switch", false, false, exitFailed, false},
		{"server unreachable after the switch", true, true, exitFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dark atomic.Bool
			p := startProxy(t, q, func(p *quarryProxy, w http.ResponseWriter, r *http.Request) bool {
				switch {
				case dark.Load():
				case strings.Contains(r.URL.Path, "key-change"):
					if tt.forward {
						p.rp.ServeHTTP(httptest.NewRecorder(), r)
					}
					dark.Store(tt.dark)
				default:
					return false
				}
				http.Error(w, "bad gateway", http.StatusBadGateway)
				return true
			})
			r := newRunner(t, q)
			if code, _, errOut := r.run(append([]string{"register", "--agree-tos"}, p.args()...)...); code != exitOK {
				t.Fatalf("register: %s", errOut)
			}
			dir := accountFiles(t, r)
			before, _ := os.ReadFile(filepath.Join(dir, "private_key.pem"))
			code, out, errOut := r.run(append([]string{"account", "rollover"}, p.args()...)...)
			if code != tt.want || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Fatalf("got rollover exit %d %q %q, want %d and at most one sentence", code, out, errOut, tt.want)
			}
			after, _ := os.ReadFile(filepath.Join(dir, "private_key.pem"))
			if changed := string(after) != string(before); changed != tt.wantNew {
				t.Errorf("got key changed=%v, want %v", changed, tt.wantNew)
			}
			_, pendingErr := os.Stat(filepath.Join(dir, "pending_key.pem"))
			if pending := pendingErr == nil; pending != tt.dark {
				t.Errorf("got pending key kept=%v, want %v (kept only while the outcome is unknown)", pending, tt.dark)
			}
			dark.Store(false)
			code, out, errOut = r.run(append([]string{"account", "show"}, p.args()...)...)
			if code != exitOK || !strings.Contains(out, "valid") {
				t.Errorf("got account show exit %d %q %q once reachable, want the account", code, out, errOut)
			}
			if _, err := os.Stat(filepath.Join(dir, "pending_key.pem")); err == nil {
				t.Error("got a pending key after the next run, want it settled")
			}
		})
	}
}
