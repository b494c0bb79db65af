package nginx

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeTree writes files (path relative to dir → content) and returns dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadIncludes(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"nginx.conf":               "events {}\nhttp {\n  include mime.types;\n  include conf.d/*.conf;\n  include sites-enabled/*;\n  include none.d/*.conf;\n}\n",
		"mime.types":               "types { text/html html; }\n",
		"conf.d/b.conf":            "server { server_name b.test; }\n",
		"conf.d/a.conf":            "server { server_name a.test; listen 8080; }\n",
		"sites-available/site":     "server { listen 443 ssl; server_name site.test; }\n",
		"sites-available/disabled": "server { server_name off.test; }\n",
	})
	if err := os.Mkdir(filepath.Join(dir, "sites-enabled"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../sites-available/site", filepath.Join(dir, "sites-enabled", "site")); err != nil {
		t.Fatal(err)
	}
	c, err := Load(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatalf("got %v, want the config loaded", err)
	}
	var names []string
	for _, s := range c.Servers() {
		names = append(names, s.Names...)
	}
	if want := []string{"a.test", "b.test", "site.test"}; !slices.Equal(names, want) {
		t.Errorf("got server names %q, want %q in include order", names, want)
	}
	site := c.Servers()[2]
	if want := filepath.Join(dir, "sites-available", "site"); site.File.Real != want {
		t.Errorf("got real path %s, want the link's target %s", site.File.Real, want)
	}
	if !site.TLS() || site.HTTP() {
		t.Errorf("got TLS %v HTTP %v for listen 443 ssl, want TLS only", site.TLS(), site.HTTP())
	}
	if c.wouldInclude(filepath.Join(dir, "sites-available", "site.mason-bak")) {
		t.Error("got sites-available backups read as config, want them outside every include")
	}
	if !c.wouldInclude(filepath.Join(dir, "sites-enabled", "x")) {
		t.Error("got sites-enabled/x outside the includes, want it matched by sites-enabled/*")
	}
}

func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"missing plain include", map[string]string{"nginx.conf": "include nope.conf;"}, "nope.conf"},
		{"include loop", map[string]string{"nginx.conf": "include nginx.conf;"}, "nest deeper"},
		{"syntax error in include", map[string]string{"nginx.conf": "include a.conf;", "a.conf": "server {"}, "a.conf"},
		{"include with two paths", map[string]string{"nginx.conf": "include a b;"}, "one path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			_, err := Load(filepath.Join(dir, "nginx.conf"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

func TestParseListen(t *testing.T) {
	tests := []struct {
		args []string
		want Listen
	}{
		{[]string{"80"}, Listen{Port: 80}},
		{[]string{"443", "ssl", "http2"}, Listen{Port: 443, SSL: true}},
		{[]string{"127.0.0.1:8080"}, Listen{Host: "127.0.0.1", Port: 8080}},
		{[]string{"[::]:443", "ssl", "ipv6only=on"}, Listen{Host: "::", Port: 443, SSL: true}},
		{[]string{"[::1]"}, Listen{Host: "::1", Port: 80}},
		{[]string{"localhost"}, Listen{Host: "localhost", Port: 80}},
		{[]string{"*:8000"}, Listen{Port: 8000}},
		{[]string{"unix:/run/a.sock"}, Listen{Port: 80, Unix: true}},
	}
	for _, tt := range tests {
		if got := parseListen(tt.args); got != tt.want {
			t.Errorf("parseListen(%q): got %+v, want %+v", tt.args, got, tt.want)
		}
	}
}

func TestFind(t *testing.T) {
	conf := `http {
	server { listen 80; server_name www.example.org; }
	server { listen 80; server_name *.example.org; }
	server { listen 80; server_name *.sub.example.org; }
	server { listen 80; server_name www.example.*; }
	server { listen 80; server_name ~^w\d+\.example\.com$; }
	server { listen 80; server_name ~^w1\.example\.com$; }
	server { listen 80; server_name .example.net; }
	server { listen 80; server_name WWW.Example.ORG; }
	server { listen 443 ssl; server_name www.example.org; }
	server { listen 80; server_name _ ""; }
}`
	dir := writeTree(t, map[string]string{"nginx.conf": conf})
	c, err := Load(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	servers := c.Servers()
	tests := []struct {
		name, host string
		keep       func(*Server) bool
		want       int // index of the block, -1 for none
	}{
		{"exact beats wildcards", "www.example.org", (*Server).HTTP, 0},
		{"exact, case folded, first of two", "WWW.EXAMPLE.ORG.", (*Server).HTTP, 0},
		{"leading wildcard", "mail.example.org", nil, 1},
		{"leading wildcard over several labels", "a.b.example.org", nil, 1},
		{"longest leading wildcard", "a.sub.example.org", nil, 2},
		{"wildcard does not match its base", "example.org", nil, -1},
		{"trailing wildcard", "www.example.com", nil, 3},
		{"first matching regex", "w1.example.com", nil, 4},
		{"regex", "w22.example.com", nil, 4},
		{"dot form matches the base", "example.net", nil, 6},
		{"dot form matches below", "a.example.net", nil, 6},
		{"https block among TLS blocks", "www.example.org", (*Server).TLS, 8},
		{"no TLS block names it", "mail.example.org", (*Server).TLS, -1},
		{"unknown name", "other.test", nil, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Find(servers, tt.host, tt.keep)
			switch {
			case tt.want < 0 && got != nil:
				t.Errorf("got block %d (%q), want none", got.order, got.Names)
			case tt.want >= 0 && got == nil:
				t.Errorf("got no block, want block %d", tt.want)
			case tt.want >= 0 && got.order != tt.want:
				t.Errorf("got block %d (%q), want block %d (%q)", got.order, got.Names, tt.want, servers[tt.want].Names)
			}
		})
	}
}
