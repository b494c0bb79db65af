package store

import "github.com/quarry-ca/quarry/internal/core"

// AuthNginx answers http-01 through the running nginx: a temporary
// location in the server block for each name serves a temporary webroot.
const AuthNginx = "nginx"

// InstallerNginx is the only installer so far.
const InstallerNginx = "nginx"

// InstallConfig is the part of a renewal config that says which web server
// uses the lineage, so renew can reload it. It is inlined in Renewal.
type InstallConfig struct {
	Installer   string `yaml:"installer,omitempty"`
	NginxConf   string `yaml:"nginx_conf,omitempty"`
	NginxBin    string `yaml:"nginx_bin,omitempty"`
	NginxReload string `yaml:"nginx_reload,omitempty"`
}

func (i InstallConfig) validate(authenticator string) error {
	switch {
	case i.Installer != "" && i.Installer != InstallerNginx:
		return core.Errorf(core.ErrMalformed, "unknown installer %q", i.Installer)
	case (i.Installer == InstallerNginx || authenticator == AuthNginx) && i.NginxConf == "":
		return core.Errorf(core.ErrMalformed, "the nginx installer and authenticator need nginx_conf")
	}
	return nil
}
