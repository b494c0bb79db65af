package server

import (
	"log/slog"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/ra"
	"github.com/quarry-ca/quarry/internal/va"
)

// TestPerspectivesOffByDefault: with no remotes the RA gets the local VA
// itself and the same validation time-out as before perspectives existed.
func TestPerspectivesOffByDefault(t *testing.T) {
	cfg := config.Default()
	local, err := va.New(va.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := corroborated(cfg, local, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("corroborated: %v", err)
	}
	if got != ra.Validator(local) {
		t.Fatalf("got validator %T, want the local VA itself", got)
	}
	if got, want := validationTimeout(cfg), time.Duration(cfg.VA.Timeout)+5*time.Second; got != want {
		t.Errorf("validation timeout: got %s, want %s", got, want)
	}
}

func TestValidationTimeout(t *testing.T) {
	remote := []config.RemotePerspective{{Name: "a", URL: "https://a.example:8443"}}
	tests := []struct {
		name        string
		va, persp   time.Duration
		remotes     []config.RemotePerspective
		wantPersp   time.Duration
		wantOverall time.Duration
	}{
		{"no perspectives", 10 * time.Second, 30 * time.Second, nil, 30 * time.Second, 15 * time.Second},
		{"default perspective timeout", 10 * time.Second, 0, remote, 12 * time.Second, 17 * time.Second},
		{"longer perspective timeout", 10 * time.Second, 20 * time.Second, remote, 20 * time.Second, 25 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.VA.Timeout = config.Duration(tt.va)
			cfg.Perspectives = config.Perspectives{Remotes: tt.remotes, Timeout: config.Duration(tt.persp)}
			if got := perspectiveTimeout(cfg); got != tt.wantPersp {
				t.Errorf("perspectiveTimeout: got %s, want %s", got, tt.wantPersp)
			}
			if got := validationTimeout(cfg); got != tt.wantOverall {
				t.Errorf("validationTimeout: got %s, want %s", got, tt.wantOverall)
			}
		})
	}
}
