package server

import (
	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/config"
)

// caPKCS11Config is the CA's part of ca.pkcs11; the zero value keeps the
// CA keys in files.
func caPKCS11Config(cfg config.Config) ca.PKCS11Config {
	p := cfg.CA.PKCS11
	if p == nil {
		return ca.PKCS11Config{}
	}
	return ca.PKCS11Config{Module: p.Module, TokenLabel: p.TokenLabel, PINFile: p.PINFile}
}
