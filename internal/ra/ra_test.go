package ra

import (
	"errors"
	"slices"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func TestCheckContacts(t *testing.T) {
	tests := []struct {
		name     string
		contacts []string
		want     core.Kind
	}{
		{"none", nil, ""},
		{"one mailto", []string{"mailto:admin@example.org"}, ""},
		{"two mailtos", []string{"mailto:a@example.org", "mailto:b@example.net"}, ""},
		{"tel", []string{"tel:+15555555555"}, core.ErrUnsupportedContact},
		{"bare address", []string{"admin@example.org"}, core.ErrUnsupportedContact},
		{"empty mailto", []string{"mailto:"}, core.ErrInvalidContact},
		{"hfields", []string{"mailto:a@example.org?subject=hi"}, core.ErrInvalidContact},
		{"two addresses", []string{"mailto:a@example.org,b@example.org"}, core.ErrInvalidContact},
		{"display name", []string{"mailto:Admin <a@example.org>"}, core.ErrInvalidContact},
		{"no domain dot", []string{"mailto:a@localhost"}, core.ErrInvalidContact},
		{"trailing dot domain", []string{"mailto:a@example.org."}, core.ErrInvalidContact},
		{"percent encoding", []string{"mailto:a%40b@example.org"}, core.ErrInvalidContact},
		{"newline injection", []string{"mailto:a@example.org\r\nBcc: x@y.z"}, core.ErrInvalidContact},
		{"too many", []string{"mailto:1@e.org", "mailto:2@e.org", "mailto:3@e.org", "mailto:4@e.org", "mailto:5@e.org",
			"mailto:6@e.org", "mailto:7@e.org", "mailto:8@e.org", "mailto:9@e.org", "mailto:10@e.org", "mailto:11@e.org"}, core.ErrInvalidContact},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkContacts(tt.contacts)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want accepted", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %s", err, tt.want)
			}
		})
	}
}

func TestChallengeTypes(t *testing.T) {
	dns := acme.Identifier{Type: acme.IdentifierDNS, Value: "a.test"}
	ip := acme.Identifier{Type: acme.IdentifierIP, Value: "192.0.2.1"}
	tests := []struct {
		name     string
		id       acme.Identifier
		wildcard bool
		want     []acme.ChallengeType
	}{
		{"dns name gets all three", dns, false, []acme.ChallengeType{acme.ChallengeHTTP01, acme.ChallengeDNS01, acme.ChallengeTLSALPN01}},
		{"wildcard only dns-01", dns, true, []acme.ChallengeType{acme.ChallengeDNS01}},
		{"ip never dns-01", ip, false, []acme.ChallengeType{acme.ChallengeHTTP01, acme.ChallengeTLSALPN01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := challengeTypes(tt.id, tt.wildcard); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
