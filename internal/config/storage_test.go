package config

import (
	"strings"
	"testing"
)

func TestStorage(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantDSN string
		wantErr bool
	}{
		{"default is sqlite in the data directory", "data-dir: /srv/q\n", "sqlite:/srv/q/quarry.db", false},
		{"sqlite file", "storage: sqlite:/var/lib/q.db\n", "sqlite:/var/lib/q.db", false},
		{"postgres", "storage: postgres://q@db/quarry\n", "postgres://q@db/quarry", false},
		{"postgresql", "storage: postgresql://q@db/quarry\n", "postgresql://q@db/quarry", false},
		{"sqlite without a path", "storage: 'sqlite:'\n", "", true},
		{"unknown scheme", "storage: mysql://root:hunter2@db/q\n", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Decode(strings.NewReader(tc.yaml))
			if err != nil {
				t.Fatalf("Decode: got error %v, want none", err)
			}
			err = cfg.Validate()
			if (err != nil) != tc.wantErr {
				t.Fatalf("Validate: got error %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("Validate: error %q repeats the password", err)
				}
				return
			}
			if got := cfg.StorageDSN(); got != tc.wantDSN {
				t.Errorf("StorageDSN: got %q, want %q", got, tc.wantDSN)
			}
		})
	}
}
