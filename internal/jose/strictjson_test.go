package jose

import "testing"

func TestMembers(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"object", `{"a":1,"b":"x"}`, false},
		{"empty object", `{}`, false},
		{"duplicate", `{"a":1,"a":2}`, true},
		{"trailing data", `{"a":1} {}`, true},
		{"array", `[1]`, true},
		{"truncated", `{"a":`, true},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := members([]byte(tt.in))
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
