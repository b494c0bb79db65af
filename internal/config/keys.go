package config

import (
	"fmt"
	"path/filepath"
)

// PKCS11 puts the CA's root and intermediate keys in a PKCS#11 token (a
// hardware security module, or SoftHSM2) instead of files in the data
// directory. Absent means key files, as before.
type PKCS11 struct {
	// Module is the path of the token's PKCS#11 library, e.g.
	// /usr/lib/softhsm/libsofthsm2.so.
	Module string `yaml:"module"`
	// TokenLabel selects the token by its label.
	TokenLabel string `yaml:"token-label"`
	// PINFile holds the token's user PIN. The PIN itself never appears in
	// the configuration, so the configuration can be shared and logged.
	PINFile string `yaml:"pin-file"`
}

func (p *PKCS11) validate() []error {
	if p == nil {
		return nil
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.Module == "" || !filepath.IsAbs(p.Module) {
		bad("ca.pkcs11.module: must be the absolute path of a PKCS#11 library")
	}
	if p.TokenLabel == "" {
		bad("ca.pkcs11.token-label: must name the token")
	}
	if p.PINFile == "" {
		bad("ca.pkcs11.pin-file: must name a file holding the user PIN")
	}
	return errs
}
