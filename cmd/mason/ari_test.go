package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/client"
)

// ariProxy stands in front of Quarry and adds ARI to it: the directory
// gains renewalInfo, whose window it serves itself, and every newOrder's
// replaces is recorded before the request goes on to Quarry.
type ariProxy struct {
	*quarryProxy
	window   [2]time.Time
	explain  string // explanationURL served with the window, "" for none
	mu       sync.Mutex
	asked    []string // certIDs renewalInfo was asked for
	replaces []string // replaces of each newOrder, "" for none
}

func startARIProxy(t *testing.T, q *quarry, start, end time.Time) *ariProxy {
	t.Helper()
	p := &ariProxy{window: [2]time.Time{start, end}}
	ready := make(chan struct{})
	p.quarryProxy = startProxy(t, q, func(qp *quarryProxy, w http.ResponseWriter, r *http.Request) bool {
		<-ready // p.quarryProxy is set
		switch {
		case r.URL.Path == p.dirPath:
			p.directory(t, w, r)
		case strings.HasPrefix(r.URL.Path, "/ari/"):
			p.mu.Lock()
			p.asked = append(p.asked, strings.TrimPrefix(r.URL.Path, "/ari/"))
			p.mu.Unlock()
			info := map[string]any{"suggestedWindow": map[string]time.Time{"start": p.window[0], "end": p.window[1]}}
			p.mu.Lock()
			if p.explain != "" {
				info["explanationURL"] = p.explain
			}
			p.mu.Unlock()
			json.NewEncoder(w).Encode(info)
		case r.Method == http.MethodPost && strings.Contains(r.URL.Path, "order") && !strings.Contains(r.URL.Path, "/order/"):
			p.recordOrder(r)
			return false
		default:
			return false
		}
		return true
	})
	close(ready)
	return p
}

// directory relays Quarry's directory with renewalInfo added.
func (p *ariProxy) directory(t *testing.T, w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	p.rp.ServeHTTP(rec, r)
	var dir map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &dir); err != nil {
		t.Errorf("proxy: Quarry's directory: %v", err)
		http.Error(w, "bad directory", http.StatusBadGateway)
		return
	}
	dir["renewalInfo"] = p.srv.URL + "/ari"
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(dir)
}

// recordOrder reads the JWS payload of a newOrder and notes its replaces.
func (p *ariProxy) recordOrder(r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	var jws struct{ Payload string }
	json.Unmarshal(body, &jws)
	payload, _ := base64.RawURLEncoding.DecodeString(jws.Payload)
	var req struct{ Replaces string }
	if json.Unmarshal(payload, &req) != nil {
		return
	}
	p.mu.Lock()
	p.replaces = append(p.replaces, req.Replaces)
	p.mu.Unlock()
}

// TestRenewARIReplaces checks renewal under ARI against Quarry with ARI
// added in front: the window (already open) makes the certificate due
// without --force-renewal, and the new order names the one it replaces.
func TestRenewARIReplaces(t *testing.T) {
	q := startQuarry(t)
	now := time.Now()
	p := startARIProxy(t, q, now.Add(-2*time.Hour), now.Add(-time.Hour))
	r := newRunner(t, q)
	base := p.args()
	code, out, errOut := r.run(append([]string{"certonly", "--agree-tos", "-d", "ari.quarry.test", "--standalone", "--http-port", itoa(q.httpPort)}, base...)...)
	if code != exitOK {
		t.Fatalf("certonly through the proxy: exit %d %s %s", code, out, errOut)
	}
	first := checkLineage(t, r, "ari.quarry.test", []string{"ari.quarry.test"})
	wantID, _ := client.ARICertID(first)
	code, out, errOut = r.run("renew", "--json")
	var res []renewResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK || len(res) != 1 || !res[0].Renewed || res[0].Reason != "inside the ARI window" {
		t.Fatalf("got renew exit %d %s %s (asked %v), want a renewal inside the ARI window", code, out, errOut, p.asked)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.asked) == 0 || p.asked[0] != wantID {
		t.Errorf("got renewalInfo asked for %v, want %s", p.asked, wantID)
	}
	if len(p.replaces) < 2 || p.replaces[0] != "" || p.replaces[1] != wantID {
		t.Errorf("got newOrder replaces %q, want none at first, then %s", p.replaces, wantID)
	}
}

// TestARIWindowShown checks what renew and certificates say about a
// window still ahead: the planned moment inside it, the window itself and
// the CA's explanation, with terminal escapes in it dropped.
func TestARIWindowShown(t *testing.T) {
	q := startQuarry(t)
	now := time.Now().UTC().Truncate(time.Second)
	start, end := now.Add(10*24*time.Hour), now.Add(11*24*time.Hour)
	p := startARIProxy(t, q, start, end)
	p.mu.Lock()
	p.explain = "https://ca.test/incident\x1b[2J"
	p.mu.Unlock()
	r := newRunner(t, q)
	code, out, errOut := r.run(append([]string{"certonly", "--agree-tos", "-d", "shown.quarry.test", "--standalone", "--http-port", itoa(q.httpPort)}, p.args()...)...)
	if code != exitOK {
		t.Fatalf("certonly through the proxy: exit %d %s %s", code, out, errOut)
	}
	code, out, _ = r.run("renew")
	prefix, suffix := "shown.quarry.test: not due; renewal planned at ", " (inside the CA's suggested ARI window; the CA explains why at https://ca.test/incident[2J)\n"
	if code != exitOK || !strings.HasPrefix(out, prefix) || !strings.HasSuffix(out, suffix) {
		t.Fatalf("got renew exit %d %q, want %q…%q", code, out, prefix, suffix)
	}
	planned, err := time.Parse("2006-01-02 15:04 UTC", strings.TrimSuffix(strings.TrimPrefix(out, prefix), suffix))
	if err != nil || planned.Before(start.Truncate(time.Minute)) || planned.After(end) {
		t.Errorf("got planned %v (%v), want inside %v–%v", planned, err, start, end)
	}
	code, out, _ = r.run("certificates")
	for _, want := range []string{
		"  renewal:    due at " + humanTime(planned) + ", inside the CA's suggested ARI window\n",
		"  ARI window: " + humanTime(start) + " to " + humanTime(end) + ", as the CA suggested at the last renew\n",
		"  ARI note:   https://ca.test/incident[2J\n",
	} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("got certificates exit %d %q, want %q", code, out, want)
		}
	}
	code, out, _ = r.run("certificates", "--json")
	var shown []certInfo
	if err := json.Unmarshal([]byte(out), &shown); err != nil || code != exitOK || len(shown) != 1 {
		t.Fatalf("got certificates %s (%v), want one lineage", out, err)
	}
	if w := shown[0].ARIWindow; w == nil || !w.Start.Equal(start) || !w.End.Equal(end) || w.ExplanationURL != "https://ca.test/incident\x1b[2J" || shown[0].RenewalWhy != "inside the CA's suggested ARI window" {
		t.Errorf("got %+v, want the window %v–%v with its explanation", shown[0].renewalPlan, start, end)
	}
}
