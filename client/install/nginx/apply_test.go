package nginx

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeNginx writes a script standing in for nginx: -t prints testOut and
// exits testExit; anything else (a reload) appends its arguments to log.
func fakeNginx(t *testing.T, testExit int, testOut string) (bin, log string) {
	t.Helper()
	dir := t.TempDir()
	bin, log = filepath.Join(dir, "nginx"), filepath.Join(dir, "calls")
	script := "#!/bin/sh\nif [ \"$1\" = -t ]; then echo '" + testOut + "' >&2; exit " + itoa(testExit) + "; fi\necho \"$@\" >> " + log + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, log
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestApply(t *testing.T) {
	const site = "server {\n    listen 80;\n    server_name a.test;\n}\n"
	tests := []struct {
		name       string
		testExit   int
		wantErr    string
		wantSite   string // "" means the edited file
		wantReload bool
	}{
		{"nginx -t passes", 0, "", "", true},
		{"nginx -t refuses", 1, "[emerg] cannot load certificate", site, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{
				"nginx.conf":           "http { include sites-enabled/*; }\n",
				"sites-available/site": site,
			})
			os.Mkdir(filepath.Join(dir, "sites-enabled"), 0o755)
			if err := os.Symlink("../sites-available/site", filepath.Join(dir, "sites-enabled", "site")); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(dir, "sites-available/site"), 0o640); err != nil {
				t.Fatal(err)
			}
			c, err := Load(filepath.Join(dir, "nginx.conf"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.InstallCert([]string{"a.test"}, CertOptions{FullChain: "/f", PrivKey: "/k"}); err != nil {
				t.Fatal(err)
			}
			edited := string(c.Servers()[0].File.Bytes())
			bin, log := fakeNginx(t, tt.testExit, "nginx: [emerg] cannot load certificate \"/f\"")
			n := &Nginx{Bin: bin, Conf: filepath.Join(dir, "nginx.conf")}
			_, err = n.Apply(context.Background(), c)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("got %v, want success", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "restored")) {
				t.Fatalf("got %v, want an error with %q saying the files were restored", err, tt.wantErr)
			}
			want := tt.wantSite
			if want == "" {
				want = edited
			}
			got, _ := os.ReadFile(filepath.Join(dir, "sites-available/site"))
			if string(got) != want {
				t.Errorf("got site\n%s\nwant\n%s", got, want)
			}
			if l, err := os.Readlink(filepath.Join(dir, "sites-enabled", "site")); err != nil || l != "../sites-available/site" {
				t.Errorf("got link %q (%v), want sites-enabled/site still a link", l, err)
			}
			if fi, _ := os.Stat(filepath.Join(dir, "sites-available/site")); fi.Mode().Perm() != 0o640 {
				t.Errorf("got mode %v, want 0640 kept", fi.Mode().Perm())
			}
			bak, err := os.ReadFile(filepath.Join(dir, "sites-available/site"+BackupSuffix))
			if err != nil || string(bak) != site {
				t.Errorf("got backup %q (%v), want the original", bak, err)
			}
			calls, _ := os.ReadFile(log)
			if gotReload := strings.Contains(string(calls), "-s reload"); gotReload != tt.wantReload {
				t.Errorf("got reload %v (calls %q), want %v", gotReload, calls, tt.wantReload)
			}
		})
	}
}

func TestApplyBackupOutsideIncludes(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"nginx.conf":  "http { include conf.d/*; }\n",
		"conf.d/site": "server { server_name a.test; }\n",
	})
	c, err := Load(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.InstallCert([]string{"a.test"}, CertOptions{FullChain: "/f", PrivKey: "/k"}); err != nil {
		t.Fatal(err)
	}
	bin, _ := fakeNginx(t, 0, "")
	backups := filepath.Join(t.TempDir(), "backups")
	n := &Nginx{Bin: bin, Conf: filepath.Join(dir, "nginx.conf"), BackupDir: backups}
	if _, err := n.Apply(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "conf.d", "site"+BackupSuffix)); err == nil {
		t.Error("got a backup inside conf.d, where conf.d/* would read it, want it elsewhere")
	}
	entries, _ := os.ReadDir(backups)
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), BackupSuffix) {
		t.Errorf("got backups %v, want one .mason-bak", entries)
	}
}

func TestCommitUndo(t *testing.T) {
	const conf = "http { server { listen 80; server_name a.test; } }\n"
	dir := writeTree(t, map[string]string{"nginx.conf": conf})
	c, err := Load(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddChallenge([]string{"a.test"}, "/tmp/x"); err != nil {
		t.Fatal(err)
	}
	bin, log := fakeNginx(t, 0, "")
	n := &Nginx{Bin: bin, Conf: filepath.Join(dir, "nginx.conf")}
	commit, err := n.Apply(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "nginx.conf")); !strings.Contains(string(got), ChallengePath) {
		t.Fatalf("got %s, want the challenge location", got)
	}
	if err := commit.Undo(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "nginx.conf")); string(got) != conf {
		t.Errorf("got %q after undo, want %q", got, conf)
	}
	calls, _ := os.ReadFile(log)
	if n := strings.Count(string(calls), "-s reload"); n != 2 {
		t.Errorf("got %d reloads, want 2 (after the edit and after the undo)", n)
	}
}

func TestApplyReloadFails(t *testing.T) {
	dir := writeTree(t, map[string]string{"nginx.conf": "http { server { server_name a.test; } }\n"})
	c, err := Load(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.InstallCert([]string{"a.test"}, CertOptions{FullChain: "/f", PrivKey: "/k"}); err != nil {
		t.Fatal(err)
	}
	bin, _ := fakeNginx(t, 0, "")
	n := &Nginx{Bin: bin, Conf: filepath.Join(dir, "nginx.conf"), Reload: "echo 'nginx: [error] invalid PID number' >&2; exit 1"}
	commit, err := n.Apply(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "kept") || !strings.Contains(err.Error(), "invalid PID number") {
		t.Errorf("got %v, want an error saying the checked files were kept and quoting nginx", err)
	}
	if commit == nil || len(commit.Files()) != 1 {
		t.Fatalf("got commit %v, want the written file so a caller can undo it", commit)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "nginx.conf")); !strings.Contains(string(got), "ssl_certificate /f;") {
		t.Errorf("got %s, want the checked edit kept", got)
	}
}
