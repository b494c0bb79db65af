package client

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string // "" means absent
		want   time.Duration
		wantOK bool
	}{
		{name: "missing", header: "", want: 0, wantOK: false},
		{name: "seconds", header: "120", want: 2 * time.Minute, wantOK: true},
		{name: "zero seconds", header: "0", want: 0, wantOK: true},
		{name: "seconds with spaces", header: " 7 ", want: 7 * time.Second, wantOK: true},
		{name: "HTTP-date", header: "Sat, 01 Mar 2025 12:05:00 GMT", want: 5 * time.Minute, wantOK: true},
		{name: "obsolete RFC 850 date", header: "Saturday, 01-Mar-25 13:00:00 GMT", want: time.Hour, wantOK: true},
		{name: "date in the past", header: "Sat, 01 Mar 2025 11:00:00 GMT", want: 0, wantOK: true},
		{name: "negative seconds", header: "-5", want: 0, wantOK: false},
		{name: "fractional seconds", header: "1.5", want: 0, wantOK: false},
		{name: "garbage", header: "soon", want: 0, wantOK: false},
		{name: "absurdly large", header: "99999999999999", want: 0, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			got, ok := retryAfter(h, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("retryAfter(%q): got %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestLinkURLs(t *testing.T) {
	base, _ := url.Parse("https://ca.example/acme/cert/1")
	tests := []struct {
		name  string
		links []string
		rel   string
		want  []string
	}{
		{
			name:  "one alternate",
			links: []string{`<https://ca.example/acme/cert/1/1>;rel="alternate"`},
			rel:   "alternate",
			want:  []string{"https://ca.example/acme/cert/1/1"},
		},
		{
			name: "several headers and a list in one",
			links: []string{
				`<https://ca.example/dir>;rel="index"`,
				`<https://ca.example/acme/cert/1/1>; rel="alternate", <https://ca.example/acme/cert/1/2>; rel=alternate`,
			},
			rel:  "alternate",
			want: []string{"https://ca.example/acme/cert/1/1", "https://ca.example/acme/cert/1/2"},
		},
		{
			name:  "index",
			links: []string{`<https://ca.example/dir>;rel="index"`, `<https://ca.example/x>;rel="alternate"`},
			rel:   "index",
			want:  []string{"https://ca.example/dir"},
		},
		{
			name:  "up from a challenge, relative",
			links: []string{`</acme/authz/7>;rel="up"`},
			rel:   "up",
			want:  []string{"https://ca.example/acme/authz/7"},
		},
		{
			name:  "rel with several values, any case",
			links: []string{`<https://ca.example/a>; title="x, y; z"; REL="Index Up"`},
			rel:   "up",
			want:  []string{"https://ca.example/a"},
		},
		{
			name:  "comma inside the target",
			links: []string{`<https://ca.example/a,b>;rel="alternate",<https://ca.example/c>;rel="alternate"`},
			rel:   "alternate",
			want:  []string{"https://ca.example/a,b", "https://ca.example/c"},
		},
		{
			name:  "no match",
			links: []string{`<https://ca.example/dir>;rel="index"`},
			rel:   "alternate",
			want:  nil,
		},
		{
			name:  "malformed entries skipped",
			links: []string{`https://no-brackets; rel="alternate"`, `<https://ca.example/unclosed;rel="alternate"`, `<https://ca.example/ok>;rel="alternate"`},
			rel:   "alternate",
			want:  []string{"https://ca.example/ok"},
		},
		{
			name:  "no Link header",
			links: nil,
			rel:   "alternate",
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, l := range tt.links {
				h.Add("Link", l)
			}
			if got := linkURLs(h, tt.rel, base); !slices.Equal(got, tt.want) {
				t.Errorf("linkURLs(%q): got %q, want %q", tt.rel, got, tt.want)
			}
		})
	}
}

func FuzzLinkURLs(f *testing.F) {
	f.Add(`<https://ca.example/a>;rel="alternate", <b>; rel=up; title="x\"y"`)
	f.Add(`<`)
	f.Add(`;;;,,<>;rel`)
	base, _ := url.Parse("https://ca.example/")
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{"Link": {v}}
		linkURLs(h, "alternate", base)
	})
}
