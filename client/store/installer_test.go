package store

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/internal/core"
)

func TestRenewalInstaller(t *testing.T) {
	base := Renewal{Version: 1, Server: "https://ca.test/dir", Account: "1", Domains: []string{"a.test"}, KeyType: "ecdsa"}
	nginx := InstallConfig{Installer: InstallerNginx, NginxConf: "/etc/nginx/nginx.conf", NginxBin: "/usr/sbin/nginx"}
	tests := []struct {
		name    string
		auth    string
		inst    InstallConfig
		wantErr bool
	}{
		{"nginx authenticator and installer", AuthNginx, nginx, false},
		{"webroot with nginx installer", AuthWebroot, nginx, false},
		{"nginx authenticator without conf", AuthNginx, InstallConfig{}, true},
		{"nginx installer without conf", AuthStandalone, InstallConfig{Installer: InstallerNginx}, true},
		{"unknown installer", AuthStandalone, InstallConfig{Installer: "apache", NginxConf: "/x"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			r := base
			r.Authenticator, r.Webroot, r.InstallConfig = tt.auth, "/srv", tt.inst
			err := s.SaveRenewal("a.test", r)
			if tt.wantErr {
				if !errors.Is(err, core.ErrMalformed) {
					t.Errorf("got %v, want a malformed error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.LoadRenewal("a.test")
			if err != nil || got.InstallConfig != tt.inst {
				t.Errorf("got %+v (%v), want %+v back", got.InstallConfig, err, tt.inst)
			}
			raw, _ := os.ReadFile(s.confPath("a.test"))
			if !strings.Contains(string(raw), "installer: nginx\n") || !strings.Contains(string(raw), "nginx_conf: /etc/nginx/nginx.conf\n") {
				t.Errorf("got renewal conf\n%s\nwant installer and nginx_conf at the top level", raw)
			}
		})
	}
}
