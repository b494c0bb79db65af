package solver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/acme"
)

func TestManualHooks(t *testing.T) {
	tests := []struct {
		name      string
		challenge acme.ChallengeType
		want      []string
	}{
		{"http-01", acme.ChallengeHTTP01, []string{
			"auth www.example.test " + ch.KeyAuth + " " + ch.Token + " 1 www.example.test,example.test",
			"cleanup www.example.test out-" + ch.Token,
		}},
		{"dns-01", acme.ChallengeDNS01, []string{
			"auth www.example.test " + acme.DNS01Value(ch.KeyAuth) + "  1 www.example.test,example.test",
			"cleanup www.example.test out-",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "log")
			m := &Manual{
				Challenge:   tt.challenge,
				AuthHook:    `echo "auth $CERTBOT_DOMAIN $CERTBOT_VALIDATION $CERTBOT_TOKEN $CERTBOT_REMAINING_CHALLENGES $CERTBOT_ALL_DOMAINS" >> ` + log + `; echo "out-$CERTBOT_TOKEN"`,
				CleanupHook: `echo "cleanup $CERTBOT_DOMAIN $CERTBOT_AUTH_OUTPUT" >> ` + log,
				AllDomains:  []string{"www.example.test", "example.test"},
			}
			c := ch
			c.Remaining = 1
			if err := m.Present(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			if err := m.CleanUp(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(log)
			if want := strings.Join(tt.want, "\n") + "\n"; string(got) != want {
				t.Errorf("got hook log %q, want %q", got, want)
			}
		})
	}
}

func TestManualPrompt(t *testing.T) {
	var prompt strings.Builder
	m := &Manual{Challenge: acme.ChallengeDNS01, Prompt: &prompt, Input: strings.NewReader("\n")}
	if err := m.Present(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"_acme-challenge.www.example.test.", acme.DNS01Value(ch.KeyAuth), "Press Enter"} {
		if !strings.Contains(prompt.String(), want) {
			t.Errorf("got prompt %q, want it to contain %q", prompt.String(), want)
		}
	}
	if err := (&Manual{Challenge: acme.ChallengeHTTP01, Prompt: &prompt, Input: strings.NewReader("")}).Present(context.Background(), ch); err == nil {
		t.Error("got no error when input ends before Enter, want one")
	}
	failing := &Manual{Challenge: acme.ChallengeHTTP01, AuthHook: "echo 'zone not found' >&2; exit 3"}
	if err := failing.Present(context.Background(), ch); err == nil || !strings.Contains(err.Error(), "zone not found") {
		t.Errorf("got %v, want the hook's failure with its message", err)
	}
}
