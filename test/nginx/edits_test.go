package nginx

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/client/install/nginx"
	"github.com/quarry-ca/quarry/test/harness"
)

func TestEditsPassNginxCheck(t *testing.T) {
	bin := harness.NginxBin(t, os.Getenv("CI") == "true")
	tests := []struct {
		name  string
		site  string
		names []string
		opts  nginx.CertOptions
		// challenge adds the temporary http-01 location instead.
		challenge bool
	}{
		{
			name:  "debian default with a name, redirect",
			site:  "server {\n\tlisten 80 default_server;\n\tlisten [::]:80 default_server;\n\n\troot /var/www/html;\n\tindex index.html;\n\n\tserver_name a.test www.a.test;\n\n\tlocation / {\n\t\ttry_files $uri $uri/ =404;\n\t}\n}\n",
			names: []string{"a.test", "www.a.test"},
			opts:  nginx.CertOptions{Redirect: true},
		},
		{
			name: "separate TLS block with an old certificate, redirect",
			site: "server { listen 80; server_name b.test; location / { return 200; } }\n" +
				"server {\n  listen 443 ssl http2;\n  server_name b.test;\n  ssl_certificate OLDCERT;\n  ssl_certificate_key OLDKEY;\n  ssl_protocols TLSv1.2 TLSv1.3;\n}\n",
			names: []string{"b.test"},
			opts:  nginx.CertOptions{Redirect: true},
		},
		{
			name:  "wildcard and regex names, bound address, other port",
			site:  "server { listen 127.0.0.1:8080; # plain\n server_name *.c.test ~^w\\d+\\.c\\.test$; }",
			names: []string{"x.c.test", "w1.c.test"},
			opts:  nginx.CertOptions{HTTPSPort: 8443},
		},
		{
			name:      "challenge behind a redirect",
			site:      "server {\n    listen 80;\n    server_name d.test;\n    return 301 https://$host$request_uri;\n}\n",
			names:     []string{"d.test"},
			challenge: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cert, key := writePair(t, dir, "new")
			oldCert, oldKey := writePair(t, dir, "old")
			site := strings.NewReplacer("OLDCERT", oldCert, "OLDKEY", oldKey).Replace(tt.site)
			write(t, filepath.Join(dir, "nginx.conf"), harness.NginxMainConf(dir, "sites-enabled/*"))
			write(t, filepath.Join(dir, "sites-available", "site"), site)
			if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, "sites-enabled"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("../sites-available/site", filepath.Join(dir, "sites-enabled", "site")); err != nil {
				t.Fatal(err)
			}
			n := &nginx.Nginx{Bin: bin, Conf: filepath.Join(dir, "nginx.conf"), Reload: "true"}
			if err := n.Test(context.Background()); err != nil {
				t.Fatalf("the test's own config: %v", err)
			}
			opts := tt.opts
			opts.FullChain, opts.PrivKey = cert, key
			edit := func(c *nginx.Config) error {
				if tt.challenge {
					_, err := c.AddChallenge(tt.names, filepath.Join(dir, "webroot"))
					return err
				}
				_, err := c.InstallCert(tt.names, opts)
				return err
			}
			c, err := nginx.Load(n.Conf)
			if err != nil {
				t.Fatal(err)
			}
			if err := edit(c); err != nil {
				t.Fatalf("got %v, want the edit made", err)
			}
			if _, err := n.Apply(context.Background(), c); err != nil {
				got, _ := os.ReadFile(filepath.Join(dir, "sites-available", "site"))
				t.Fatalf("got %v, want nginx -t to accept\n%s", err, got)
			}
			edited, _ := os.ReadFile(filepath.Join(dir, "sites-available", "site"))
			if string(edited) == site {
				t.Fatal("got the site unchanged, want it edited")
			}
			if tt.challenge {
				return
			}
			c, err = nginx.Load(n.Conf)
			if err != nil {
				t.Fatal(err)
			}
			if err := edit(c); err != nil {
				t.Fatal(err)
			}
			if changed := c.Changed(); len(changed) != 0 {
				t.Errorf("got %s changed by a second install, want nothing:\n%s", changed[0].Real, changed[0].Bytes())
			}
		})
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writePair writes a self-signed certificate and its key.
func writePair(t *testing.T, dir, name string) (certPath, keyPath string) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{"a.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalPKCS8PrivateKey(k)
	certPath, keyPath = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	write(t, certPath, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	write(t, keyPath, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})))
	return certPath, keyPath
}
