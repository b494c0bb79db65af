//go:build !cgo

package ca

import (
	"crypto"
	"errors"
)

// errNoCgo explains why a quarry built without cgo cannot use a token:
// PKCS#11 modules are C libraries.
var errNoCgo = errors.New("this quarry was built without cgo, which PKCS#11 modules need; rebuild with CGO_ENABLED=1 or remove ca.pkcs11")

// token stands in for the cgo implementation in pkcs11_cgo.go.
type token struct{ label string }

func configureToken(PKCS11Config, string) (*token, error) { return nil, errNoCgo }

func (t *token) Close() error { return nil }

func (t *token) find(string, keySpec) (crypto.Signer, error) { return nil, errNoCgo }

func (t *token) generate(string, keySpec) (crypto.Signer, error) { return nil, errNoCgo }

func (t *token) holds(string) (bool, error) { return false, errNoCgo }
