package nginx

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallCert(t *testing.T) {
	opts := CertOptions{FullChain: "/etc/mason/live/a.test/fullchain.pem", PrivKey: "/etc/mason/live/a.test/privkey.pem"}
	tests := []struct {
		name  string
		in    string
		names []string
		opts  CertOptions
		want  string
	}{
		{
			name:  "plain block gets listens and certificate",
			in:    "http {\n    server {\n        listen 80;\n        listen [::]:80;\n        server_name a.test; # the site\n        root /srv;\n    }\n}\n",
			names: []string{"a.test"},
			opts:  opts,
			want: "http {\n    server {\n        listen 80;\n        listen [::]:80;\n" +
				"        listen 443 ssl; # managed by mason\n        listen [::]:443 ssl; # managed by mason\n" +
				"        server_name a.test; # the site\n" +
				"        ssl_certificate /etc/mason/live/a.test/fullchain.pem; # managed by mason\n" +
				"        ssl_certificate_key /etc/mason/live/a.test/privkey.pem; # managed by mason\n" +
				"        root /srv;\n    }\n}\n",
		},
		{
			name: "TLS block preferred and its certificate replaced",
			in: "http {\n  server { listen 80; server_name a.test; }\n" +
				"  server {\n    listen 443 ssl;\n    server_name a.test;\n    ssl_certificate   /old/cert.pem;\n    ssl_certificate_key \"/old/key.pem\"; # old\n  }\n}\n",
			names: []string{"a.test"},
			opts:  opts,
			want: "http {\n  server { listen 80; server_name a.test; }\n" +
				"  server {\n    listen 443 ssl;\n    server_name a.test;\n    ssl_certificate   /etc/mason/live/a.test/fullchain.pem;\n    ssl_certificate_key /etc/mason/live/a.test/privkey.pem; # old\n  }\n}\n",
		},
		{
			name:  "bound address kept, listen on the HTTPS port gains ssl",
			in:    "http {\n\tserver {\n\t\tlisten 127.0.0.1:8080;\n\t\tlisten 127.0.0.1:8443;\n\t\tserver_name a.test;\n\t}\n}\n",
			names: []string{"a.test"},
			opts:  CertOptions{FullChain: "/m/full chain.pem", PrivKey: "/m/key.pem", HTTPSPort: 8443},
			want: "http {\n\tserver {\n\t\tlisten 127.0.0.1:8080;\n\t\tlisten 127.0.0.1:8443 ssl;\n\t\tserver_name a.test;\n" +
				"\t\tssl_certificate \"/m/full chain.pem\"; # managed by mason\n\t\tssl_certificate_key /m/key.pem; # managed by mason\n\t}\n}\n",
		},
		{
			name:  "redirect in a separate plain block",
			in:    "http {\n  server {\n    listen 80;\n    server_name a.test;\n  }\n  server {\n    listen 443 ssl;\n    server_name a.test;\n    ssl_certificate /etc/mason/live/a.test/fullchain.pem;\n    ssl_certificate_key /etc/mason/live/a.test/privkey.pem;\n  }\n}\n",
			names: []string{"a.test"},
			opts:  CertOptions{FullChain: opts.FullChain, PrivKey: opts.PrivKey, Redirect: true},
			want:  "http {\n  server {\n    return 301 https://$host$request_uri; # managed by mason\n    listen 80;\n    server_name a.test;\n  }\n  server {\n    listen 443 ssl;\n    server_name a.test;\n    ssl_certificate /etc/mason/live/a.test/fullchain.pem;\n    ssl_certificate_key /etc/mason/live/a.test/privkey.pem;\n  }\n}\n",
		},
		{
			name:  "redirect in a block serving both",
			in:    "http { server { listen 80; server_name a.test *.a.test; } }",
			names: []string{"a.test", "www.a.test"},
			opts:  CertOptions{FullChain: "/f", PrivKey: "/k", Redirect: true},
			want: "http { server {\n    if ($scheme = http) { return 301 https://$host$request_uri; } # managed by mason\n    listen 80;\n" +
				"    listen 443 ssl; # managed by mason\n    server_name a.test *.a.test;\n" +
				"    ssl_certificate /f; # managed by mason\n    ssl_certificate_key /k; # managed by mason\n} }",
		},
		{
			name:  "installing twice changes nothing",
			in:    "http { server { listen 80; listen 443 ssl; server_name a.test; ssl_certificate /f; ssl_certificate_key /k; return 301 https://$host$request_uri; } }",
			names: []string{"a.test"},
			opts:  CertOptions{FullChain: "/f", PrivKey: "/k", Redirect: true},
			want:  "http { server { listen 80; listen 443 ssl; server_name a.test; ssl_certificate /f; ssl_certificate_key /k; return 301 https://$host$request_uri; } }",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadString(t, tt.in)
			if _, err := c.InstallCert(tt.names, tt.opts); err != nil {
				t.Fatalf("got %v, want the certificate installed", err)
			}
			got := string(c.Main.Bytes())
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if _, err := Parse([]byte(got)); err != nil {
				t.Errorf("got output that does not parse: %v", err)
			}
		})
	}
}

func TestInstallCertRefuses(t *testing.T) {
	tests := []struct {
		name, in, want string
		names          []string
	}{
		{"no block names it", "http { server { server_name b.test; } }", "no server block", []string{"a.test"}},
		{"two certificates", "http { server { listen 443 ssl; server_name a.test; ssl_certificate /a; ssl_certificate /b; ssl_certificate_key /k; } }", "2 ssl_certificate", []string{"a.test"}},
		{"stream server only", "stream { server { listen 80; } } http { }", "no server block", []string{"a.test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadString(t, tt.in)
			_, err := c.InstallCert(tt.names, CertOptions{FullChain: "/f", PrivKey: "/k"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
	c := loadString(t, "http { server { server_name a.test; } }")
	if _, err := c.InstallCert([]string{"a.test"}, CertOptions{FullChain: "/$x", PrivKey: "/k"}); err == nil {
		t.Error("got a path with $ accepted, want it refused")
	}
}

func TestInstallCertSharedOrIncluded(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"nginx.conf": "http { include a.conf; include a.conf; server { server_name b.test; include ssl.conf; } }",
		"a.conf":     "server { server_name a.test; }",
		"ssl.conf":   "ssl_certificate /x; ssl_certificate_key /y;",
	})
	c, err := Load(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a.test": "included more than once", "b.test": "through an include"} {
		if _, err := c.InstallCert([]string{name}, CertOptions{FullChain: "/f", PrivKey: "/k"}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error with %q", name, err, want)
		}
	}
}

func TestAddChallenge(t *testing.T) {
	c := loadString(t, "http {\n  server {\n    listen 80;\n    server_name a.test;\n    return 301 https://$host$request_uri;\n  }\n  server { listen 443 ssl; server_name a.test; }\n}\n")
	if _, err := c.AddChallenge([]string{"a.test"}, "/tmp/mason-x"); err != nil {
		t.Fatal(err)
	}
	want := "http {\n  server {\n" +
		"    rewrite ^(/\\.well-known/acme-challenge/[-_A-Za-z0-9]+)$ $1 break; # managed by mason\n" +
		"    location ^~ /.well-known/acme-challenge/ { root /tmp/mason-x; default_type text/plain; } # managed by mason\n" +
		"    listen 80;\n    server_name a.test;\n    return 301 https://$host$request_uri;\n  }\n  server { listen 443 ssl; server_name a.test; }\n}\n"
	if got := string(c.Main.Bytes()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	c = loadString(t, "http { server { server_name a.test; location ^~ /.well-known/acme-challenge/ { } } }")
	if _, err := c.AddChallenge([]string{"a.test"}, "/tmp/x"); err == nil || !strings.Contains(err.Error(), "already has a location") {
		t.Errorf("got %v, want a refusal naming the existing location", err)
	}
	c = loadString(t, "http { server { listen 443 ssl; server_name a.test; } }")
	if _, err := c.AddChallenge([]string{"a.test"}, "/tmp/x"); err == nil || !strings.Contains(err.Error(), "plain HTTP") {
		t.Errorf("got %v, want a refusal for no plain-HTTP block", err)
	}
}

func loadString(t *testing.T, conf string) *Config {
	t.Helper()
	dir := writeTree(t, map[string]string{"nginx.conf": conf})
	c, err := Load(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
