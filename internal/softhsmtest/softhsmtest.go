// Package softhsmtest makes SoftHSM2 tokens in temporary directories for
// tests of Quarry's PKCS#11 support. It is imported only by tests.
package softhsmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Token is an initialized SoftHSM2 token whose files live in a test's
// temporary directory.
type Token struct {
	Module  string // path of libsofthsm2.so
	Label   string
	PIN     string
	PINFile string // holds PIN, mode 0600
}

// modules are where Debian's softhsm2 package puts the library.
var modules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
}

// New initializes one token per label in a fresh SoftHSM2 configuration
// and points SOFTHSM2_CONF at it for the rest of the test. SoftHSM2 reads
// that variable when the library is initialized, so every PKCS#11 context
// a previous test opened must be closed by now. Without SoftHSM2 the test
// is skipped, or fails when CI=true, where scripts/deps.sh installs it.
func New(t testing.TB, labels ...string) []Token {
	t.Helper()
	module := ""
	for _, m := range modules {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	util, err := exec.LookPath("softhsm2-util")
	if module == "" || err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("SoftHSM2 is not installed and CI=true (want libsofthsm2.so in %v and softhsm2-util on PATH): run scripts/deps.sh", modules)
		}
		t.Skip("SoftHSM2 is not installed (Debian package softhsm2); skipping the PKCS#11 test")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	var out []Token
	for i, label := range labels {
		tok := Token{Module: module, Label: label, PIN: "quarry-user-" + label, PINFile: filepath.Join(dir, label+".pin")}
		if err := os.WriteFile(tok.PINFile, []byte(tok.PIN+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(util, "--init-token", "--free", "--label", label, "--pin", tok.PIN, "--so-pin", "quarry-so-"+label)
		cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+conf)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("softhsm2-util --init-token (token %d, %s): %v\n%s", i, label, err, b)
		}
		out = append(out, tok)
	}
	return out
}
