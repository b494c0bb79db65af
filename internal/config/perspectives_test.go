package config

import (
	"testing"
)

func TestPerspectivesSection(t *testing.T) {
	const auth = "  client-cert: /etc/quarry/va-client.pem\n  client-key: /etc/quarry/va-client.key\n  server-ca: /etc/quarry/va-ca.pem\n"
	remote := func(name string) string {
		return "    - name: " + name + "\n      url: https://" + name + ".example.net:8443\n"
	}
	tests := []struct {
		name        string
		yaml        string
		wantRemotes int
		wantErr     string // from Decode or Validate
	}{
		{name: "off by default", yaml: ""},
		{name: "three remotes", yaml: "perspectives:\n" + auth + "  remotes:\n" + remote("a") + remote("b") + remote("c"), wantRemotes: 3},
		{name: "stricter allowance", yaml: "perspectives:\n" + auth + "  max-remote-failures: 0\n  remotes:\n" + remote("a") + remote("b"), wantRemotes: 2},
		{name: "looser than the BRs", yaml: "perspectives:\n" + auth + "  max-remote-failures: 2\n  remotes:\n" + remote("a") + remote("b") + remote("c"), wantErr: "perspectives.max-remote-failures: must be between 0 and 1"},
		{name: "negative allowance", yaml: "perspectives:\n" + auth + "  max-remote-failures: -1\n  remotes:\n" + remote("a"), wantErr: "perspectives.max-remote-failures"},
		{name: "per-remote auth", yaml: "perspectives:\n  remotes:\n" + remote("a") + "      client-cert: c.pem\n      client-key: c.key\n      server-ca: ca.pem\n", wantRemotes: 1},
		{name: "no auth", yaml: "perspectives:\n  remotes:\n" + remote("a"), wantErr: "perspectives.remotes[0]: needs client-cert, client-key and server-ca"},
		{name: "plain http", yaml: "perspectives:\n" + auth + "  remotes:\n    - name: a\n      url: http://a.example.net:8443\n", wantErr: "perspectives.remotes[0].url"},
		{name: "duplicate name", yaml: "perspectives:\n" + auth + "  remotes:\n" + remote("a") + remote("a"), wantErr: `perspectives.remotes[1].name: "a" appears twice`},
		{name: "no name", yaml: "perspectives:\n" + auth + "  remotes:\n    - url: https://a.example.net\n", wantErr: "perspectives.remotes[0].name"},
		{name: "negative timeout", yaml: "perspectives:\n  timeout: -1s\n", wantErr: "perspectives.timeout"},
		{name: "registries", yaml: "perspectives:\n" + auth + "  remotes:\n" + remote("a") + "      rir: ARIN\n" + remote("b") + "      rir: RIPE\n", wantRemotes: 2},
		{name: "unknown registry", yaml: "perspectives:\n" + auth + "  remotes:\n" + remote("a") + "      rir: arin\n" + remote("b") + "      rir: RIPE\n", wantErr: `perspectives.remotes[0].rir: "arin" is not`},
		{name: "registry on some remotes", yaml: "perspectives:\n" + auth + "  remotes:\n" + remote("a") + "      rir: ARIN\n" + remote("b"), wantErr: "rir must be set on every remote or on none"},
		{name: "one registry", yaml: "perspectives:\n" + auth + "  remotes:\n" + remote("a") + "      rir: ARIN\n" + remote("b") + "      rir: ARIN\n", wantErr: "at least two registries"},
		{name: "unknown key", yaml: "perspectives:\n  quorum: 2\n", wantErr: "quorum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := decodeCase(t, tt.yaml, tt.wantErr)
			if !ok {
				return
			}
			if got := len(c.Perspectives.Remotes); got != tt.wantRemotes {
				t.Errorf("got %d remotes, want %d", got, tt.wantRemotes)
			}
			if got := c.Perspectives.Enabled(); got != (tt.wantRemotes > 0) {
				t.Errorf("Enabled: got %v, want %v", got, tt.wantRemotes > 0)
			}
		})
	}
}

func TestPerspectivesAuthFallback(t *testing.T) {
	p := Perspectives{ClientCert: "s.pem", ClientKey: "s.key", ServerCA: "s-ca.pem"}
	tests := []struct {
		name                      string
		remote                    RemotePerspective
		wantCert, wantKey, wantCA string
	}{
		{"section's", RemotePerspective{}, "s.pem", "s.key", "s-ca.pem"},
		{"own", RemotePerspective{ClientCert: "r.pem", ClientKey: "r.key", ServerCA: "r-ca.pem"}, "r.pem", "r.key", "r-ca.pem"},
		{"own CA only", RemotePerspective{ServerCA: "r-ca.pem"}, "s.pem", "s.key", "r-ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, key, ca := p.Auth(tt.remote)
			if cert != tt.wantCert || key != tt.wantKey || ca != tt.wantCA {
				t.Errorf("got %s %s %s, want %s %s %s", cert, key, ca, tt.wantCert, tt.wantKey, tt.wantCA)
			}
		})
	}
}
