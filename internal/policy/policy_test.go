package policy

import "testing"

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{name: "zero value", cfg: Config{}},
		{name: "every mode", cfg: Config{Mode: ModeDev}},
		{name: "unknown mode", cfg: Config{Mode: "strict"}, wantErr: true},
		{name: "negative max names", cfg: Config{MaxNames: -1}, wantErr: true},
		{name: "block list names and ips", cfg: Config{BlockedNames: []string{"Quarry.COM.", " bad.net ", "192.0.2.1", "::1"}}},
		{name: "block list empty entry", cfg: Config{BlockedNames: []string{""}}, wantErr: true},
		{name: "block list bad name", cfg: Config{BlockedNames: []string{"a_b.com"}}, wantErr: true},
		{name: "block list wildcard", cfg: Config{BlockedNames: []string{"*.quarry.com"}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(tt.cfg)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && p.maxNames != DefaultMaxNames && tt.cfg.MaxNames == 0 {
				t.Fatalf("got max names %d, want %d", p.maxNames, DefaultMaxNames)
			}
		})
	}
}

func TestNewDefaultsToPublic(t *testing.T) {
	p := mustNew(t, Config{})
	if got := p.mode; got != ModePublic {
		t.Fatalf("got mode %q, want %q", got, ModePublic)
	}
}

func TestBlockListNormalizesEntries(t *testing.T) {
	p := mustNew(t, Config{Mode: ModePrivate, BlockedNames: []string{"Quarry.COM."}})
	checkKind(t, p.CheckIdentifiers(dns("www.quarry.com")), "rejectedIdentifier", "block list")
}
