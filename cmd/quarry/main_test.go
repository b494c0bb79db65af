package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("listen: 127.0.0.1:15000\npreset: dev\n"), 0o600)
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("lissen: 127.0.0.1:15000\n"), 0o600)
	tests := []struct {
		name      string
		args      []string
		wantUsage bool
		wantOut   string
	}{
		{"no command", nil, true, ""},
		{"unknown command", []string{"serv"}, true, ""},
		{"version", []string{"version"}, false, "quarry"},
		{"config check good", []string{"config", "check", "--config", good}, false, "dev preset"},
		{"flag overrides config", []string{"config", "check", "--config", good, "--listen", "127.0.0.1:16000"}, false, "127.0.0.1:16000"},
		{"config file keeps its value", []string{"config", "check", "--config", good}, false, "127.0.0.1:15000"},
		{"unknown key in config", []string{"config", "check", "--config", typo}, true, ""},
		{"missing config file", []string{"config", "check", "--config", filepath.Join(dir, "none.yaml")}, true, ""},
		{"unknown flag", []string{"config", "check", "--colour"}, true, ""},
		{"bad preset flag", []string{"config", "check", "--preset", "open"}, true, ""},
		{"config without check", []string{"config"}, true, ""},
		{"serve with stray argument", []string{"serve", "now"}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(tt.args, &out, &errOut)
			var ue usageError
			if got := errors.As(err, &ue); got != tt.wantUsage {
				t.Fatalf("got error %v (usage %v), want usage error %v", err, got, tt.wantUsage)
			}
			if !tt.wantUsage && err != nil {
				t.Fatalf("got %v, want success", err)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("got output %q, want it to contain %q", out.String(), tt.wantOut)
			}
		})
	}
}

func TestInitCreatesHierarchy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var out, errOut bytes.Buffer
	if err := run([]string{"init", "--data-dir", dir, "--key-types", "ecdsa"}, &out, &errOut); err != nil {
		t.Fatalf("init: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "roots.pem")); err != nil {
		t.Errorf("got %v, want roots.pem", err)
	}
	if err := run([]string{"init", "--data-dir", dir}, &out, &errOut); err == nil {
		t.Error("a second init: got success, want a refusal to overwrite the CA")
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help on a subcommand", []string{"serve", "-h"}, 0},
		{"help on admin", []string{"admin", "revoke", "-h"}, 0},
		{"unknown flag", []string{"serve", "--no-such-flag"}, 2},
		{"unknown command", []string{"frobnicate"}, 2},
		{"version", []string{"version"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got := exitCode(run(tt.args, &out, &errOut)); got != tt.want {
				t.Errorf("quarry %v: got exit code %d, want %d (stderr %q)", tt.args, got, tt.want, errOut.String())
			}
		})
	}
}
