package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// step is one scripted answer to a poll.
type step struct {
	status     acme.Status
	retryAfter string
}

func TestWaitOrder(t *testing.T) {
	tests := []struct {
		name       string
		steps      []step
		wantStatus acme.Status
		wantSlept  []time.Duration
		wantErr    acme.ProblemType
	}{
		{
			name:       "ready at once",
			steps:      []step{{status: acme.StatusReady}},
			wantStatus: acme.StatusReady,
		},
		{
			name:       "processing with Retry-After",
			steps:      []step{{acme.StatusProcessing, "3"}, {acme.StatusProcessing, "3"}, {status: acme.StatusValid}},
			wantStatus: acme.StatusValid,
			wantSlept:  []time.Duration{3 * time.Second, 3 * time.Second},
		},
		{
			name:       "Retry-After 0 falls back to back-off",
			steps:      []step{{acme.StatusProcessing, "0"}, {status: acme.StatusValid}},
			wantStatus: acme.StatusValid,
			wantSlept:  []time.Duration{time.Second},
		},
		{
			name: "pending without Retry-After backs off to the cap",
			steps: []step{
				{status: acme.StatusPending}, {status: acme.StatusPending}, {status: acme.StatusPending},
				{status: acme.StatusPending}, {status: acme.StatusPending}, {status: acme.StatusPending},
				{status: acme.StatusReady},
			},
			wantStatus: acme.StatusReady,
			wantSlept:  []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second},
		},
		{
			name:       "invalid",
			steps:      []step{{status: acme.StatusProcessing}, {status: acme.StatusInvalid}},
			wantStatus: acme.StatusInvalid,
			wantSlept:  []time.Duration{time.Second},
			wantErr:    acme.ProblemBadCSR,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeACME(t)
			n := 0
			f.handle("POST /order/1", func(w http.ResponseWriter, r *http.Request) {
				readJWS(t, r)
				s := tt.steps[min(n, len(tt.steps)-1)]
				n++
				if s.retryAfter != "" {
					w.Header().Set("Retry-After", s.retryAfter)
				}
				o := acme.Order{Status: s.status}
				if s.status == acme.StatusInvalid {
					o.Error = &acme.Problem{Type: acme.ProblemBadCSR, Detail: "key too weak"}
				}
				writeJSON(w, http.StatusOK, o)
			})
			var slept []time.Duration
			o, err := f.client(&slept).WaitOrder(context.Background(), f.url("/order/1"))
			if tt.wantErr == "" && err != nil {
				t.Fatalf("WaitOrder: %v", err)
			}
			if tt.wantErr != "" && !IsProblem(err, tt.wantErr) {
				t.Errorf("error: got %v, want problem %s", err, tt.wantErr)
			}
			if o == nil || o.Status != tt.wantStatus {
				t.Fatalf("order: got %+v, want status %s", o, tt.wantStatus)
			}
			if o.URL != f.url("/order/1") {
				t.Errorf("order URL: got %q, want %q", o.URL, f.url("/order/1"))
			}
			if !slices.Equal(slept, tt.wantSlept) {
				t.Errorf("slept: got %v, want %v", slept, tt.wantSlept)
			}
		})
	}
}

func TestWaitOrderContextEnds(t *testing.T) {
	f := newFakeACME(t)
	f.handle("POST /order/1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, acme.Order{Status: acme.StatusProcessing})
	})
	c := f.client(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.WaitOrder(ctx, f.url("/order/1")); err == nil {
		t.Errorf("WaitOrder with a cancelled context: got nil error, want one")
	}
}

func TestNewOrderAndFinalize(t *testing.T) {
	f := newFakeACME(t)
	ids := []acme.Identifier{{Type: acme.IdentifierDNS, Value: "a.example"}, {Type: acme.IdentifierDNS, Value: "b.example"}}
	f.handle("POST /new-order", func(w http.ResponseWriter, r *http.Request) {
		var req acme.NewOrderRequest
		if err := json.Unmarshal(readJWS(t, r).Payload, &req); err != nil {
			t.Fatal(err)
		}
		if len(req.Identifiers) != 2 || req.Profile != "shortlived" {
			t.Errorf("newOrder body: got %+v, want two identifiers and profile shortlived", req)
		}
		w.Header().Set("Location", "/order/9")
		w.Header().Set("Retry-After", "4")
		writeJSON(w, http.StatusCreated, acme.Order{Status: acme.StatusPending, Identifiers: req.Identifiers, Finalize: f.url("/order/9/finalize")})
	})
	csr := []byte{0x30, 0x03, 0xff, 0xfe, 0xfd}
	f.handle("POST /order/9/finalize", func(w http.ResponseWriter, r *http.Request) {
		var req acme.FinalizeRequest
		if err := json.Unmarshal(readJWS(t, r).Payload, &req); err != nil {
			t.Fatal(err)
		}
		if want := base64.RawURLEncoding.EncodeToString(csr); req.CSR != want {
			t.Errorf("csr: got %q, want %q", req.CSR, want)
		}
		w.Header().Set("Location", "/order/9")
		writeJSON(w, http.StatusOK, acme.Order{Status: acme.StatusProcessing})
	})
	c := f.client(nil)
	ctx := context.Background()

	if _, err := c.NewOrder(ctx, acme.NewOrderRequest{}); err == nil {
		t.Errorf("NewOrder without identifiers: got nil error, want one")
	}
	o, err := c.NewOrder(ctx, acme.NewOrderRequest{Identifiers: ids, Profile: "shortlived"})
	if err != nil {
		t.Fatalf("NewOrder: %v", err)
	}
	if o.URL != f.url("/order/9") || o.RetryAfter != 4*time.Second {
		t.Errorf("order: got URL %q Retry-After %v, want %q and 4s", o.URL, o.RetryAfter, f.url("/order/9"))
	}
	fo, err := c.Finalize(ctx, o.Finalize, csr)
	if err != nil {
		t.Fatalf("Finalize: %v", err)
	}
	if fo.Status != acme.StatusProcessing {
		t.Errorf("finalized order status: got %s, want processing", fo.Status)
	}
}
