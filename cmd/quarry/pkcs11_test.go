package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/internal/softhsmtest"
)

// TestInitInToken runs quarry init with ca.pkcs11 in the configuration
// file: the keys are made in the token and only certificates are written.
func TestInitInToken(t *testing.T) {
	tok := softhsmtest.New(t, "quarry")[0]
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	conf := filepath.Join(dir, "quarry.yaml")
	yaml := "data-dir: " + data + "\nca:\n  key-types: [ecdsa]\n  pkcs11:\n    module: " + tok.Module +
		"\n    token-label: " + tok.Label + "\n    pin-file: " + tok.PINFile + "\n"
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run([]string{"init", "--config", conf}, &out, &errOut); err != nil {
		t.Fatalf("init: %v\n%s", err, errOut.String())
	}
	if want := `Keys:    in PKCS#11 token "quarry"`; !strings.Contains(out.String(), want) {
		t.Errorf("got output %q, want it to contain %q", out.String(), want)
	}
	if strings.Contains(out.String()+errOut.String(), tok.PIN) {
		t.Error("init printed the PIN")
	}
	filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			if strings.HasSuffix(p, ".key") || bytes.Contains(b, []byte("PRIVATE KEY")) {
				t.Errorf("got private key file %s, want none", p)
			}
		}
		return err
	})
	if _, err := os.Stat(filepath.Join(data, "ca", "e1.pem")); err != nil {
		t.Errorf("got %v, want the intermediate's certificate e1.pem", err)
	}

	// A configuration without a PIN file is refused before anything starts.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(yaml, "    pin-file: "+tok.PINFile+"\n", "", 1)), 0o600)
	err := run([]string{"config", "check", "--config", bad}, &out, &errOut)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "ca.pkcs11.pin-file") {
		t.Errorf("config check without pin-file: got %v, want a usage error naming ca.pkcs11.pin-file", err)
	}
}
