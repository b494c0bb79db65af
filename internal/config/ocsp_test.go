package config

import (
	"testing"
	"time"
)

func TestOCSPSection(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    OCSP
		wantErr string // from Decode or Validate
	}{
		{name: "off by default", yaml: "", want: OCSP{ResponseValidity: Duration(96 * time.Hour), RefreshBefore: Duration(24 * time.Hour), CacheMaxAge: Duration(time.Hour)}},
		{name: "every key", yaml: "ocsp:\n  enable: true\n  response-validity: 7d\n  refresh-before: 3d\n  delegated-responder: true\n  cache-max-age: 10m\n",
			want: OCSP{Enable: true, ResponseValidity: Duration(7 * 24 * time.Hour), RefreshBefore: Duration(72 * time.Hour), DelegatedResponder: true, CacheMaxAge: Duration(10 * time.Minute)}},
		{name: "unknown key", yaml: "ocsp:\n  enabled: true\n", wantErr: "enabled"},
		{name: "validity past 10 days", yaml: "ocsp:\n  response-validity: 11d\n", wantErr: "ocsp.response-validity"},
		{name: "validity of exactly 10 days, one second over counted inclusively", yaml: "ocsp:\n  response-validity: 10d\n", wantErr: "ocsp.response-validity"},
		{name: "validity just under 10 days", yaml: "ocsp:\n  response-validity: 239h\n", want: OCSP{ResponseValidity: Duration(239 * time.Hour), RefreshBefore: Duration(24 * time.Hour), CacheMaxAge: Duration(time.Hour)}},
		{name: "validity under 8 hours", yaml: "ocsp:\n  response-validity: 7h\n  refresh-before: 1h\n", wantErr: "ocsp.response-validity"},
		{name: "refresh as long as validity", yaml: "ocsp:\n  response-validity: 2d\n  refresh-before: 2d\n", wantErr: "ocsp.refresh-before"},
		{name: "refresh zero", yaml: "ocsp:\n  refresh-before: 0s\n", wantErr: "ocsp.refresh-before"},
		{name: "cache max-age zero", yaml: "ocsp:\n  cache-max-age: 0s\n", wantErr: "ocsp.cache-max-age"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := decodeCase(t, tt.yaml, tt.wantErr)
			if !ok {
				return
			}
			if c.OCSP != tt.want {
				t.Errorf("got %+v, want %+v", c.OCSP, tt.want)
			}
		})
	}
}
