package config

import (
	"strings"
	"testing"
)

// decodeCase decodes yaml and validates it, as Load does. With wantErr set
// it fails the test unless the error mentions wantErr and returns false:
// the case is done. Otherwise it fails on any error and returns true, for
// the case to check the configuration.
func decodeCase(t *testing.T, yaml, wantErr string) (Config, bool) {
	t.Helper()
	c, err := Decode(strings.NewReader(yaml))
	if err == nil {
		err = c.Validate()
	}
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("got error %v, want one mentioning %q", err, wantErr)
		}
		return c, false
	}
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	return c, true
}
