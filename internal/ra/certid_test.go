package ra

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

func TestParseCertID(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	aki := []byte{1, 2, 3, 4}
	tests := []struct {
		name       string
		in         string
		wantSerial string // "" = malformed
	}{
		{"RFC 9773 example", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", "87654321"},
		{"small serial", b64(aki) + "." + b64([]byte{0x01}), "1"},
		{"high bit with leading zero", b64(aki) + "." + b64([]byte{0x00, 0x80}), "80"},
		{"zero", b64(aki) + "." + b64([]byte{0x00}), "0"},
		{"no dot", b64(aki), ""},
		{"empty", "", ""},
		{"two dots", b64(aki) + ".AQ.AQ", ""},
		{"padding", b64(aki) + ".AQ==", ""},
		{"standard alphabet", "+/+/.AQ", ""},
		{"empty serial", b64(aki) + ".", ""},
		{"empty key identifier", ".AQ", ""},
		{"negative serial", b64(aki) + "." + b64([]byte{0x80}), ""},
		{"non-minimal serial", b64(aki) + "." + b64([]byte{0x00, 0x01}), ""},
		{"serial longer than 20 octets", b64(aki) + "." + b64(bytes.Repeat([]byte{1}, 22)), ""},
		{"carriage return in serial", "0A.A\r00", ""},
		{"newline in key identifier", "aYhba4dGQEHhs3uEe6CuLN4ByNQ\n.AIdlQyE", ""},
		{"space", b64(aki) + ". AQ", ""},
		{"key identifier too long", b64(bytes.Repeat([]byte{1}, 65)) + ".AQ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCertID(tt.in)
			if tt.wantSerial == "" {
				if !errors.Is(err, core.ErrMalformed) {
					t.Errorf("got %+v, %v; want malformed", got, err)
				}
				return
			}
			if err != nil || got.serial != tt.wantSerial {
				t.Errorf("got serial %q, %v; want %q", got.serial, err, tt.wantSerial)
			}
		})
	}
}

func TestRenewalWindow(t *testing.T) {
	nb := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name             string
		life             time.Duration
		wantStart, wantE time.Duration // after notBefore
	}{
		{"90 days: days 57 to 60", 90 * 24 * time.Hour, 57 * 24 * time.Hour, 60 * 24 * time.Hour},
		{"45 days: days 28.5 to 30", 45 * 24 * time.Hour, 28*24*time.Hour + 12*time.Hour, 30 * 24 * time.Hour},
		{"160 hours", 160 * time.Hour, 160*time.Hour*2/3 - 160*time.Hour/30, 160 * time.Hour * 2 / 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := renewalWindow(nb, nb.Add(tt.life))
			if !w.Start.Equal(nb.Add(tt.wantStart)) || !w.End.Equal(nb.Add(tt.wantE)) {
				t.Errorf("got %v – %v, want %v – %v", w.Start, w.End, nb.Add(tt.wantStart), nb.Add(tt.wantE))
			}
		})
	}
}

func FuzzParseCertID(f *testing.F) {
	f.Add("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE")
	f.Add("AQ.AA")
	f.Add("..")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseCertID(s)
		if err != nil {
			if !errors.Is(err, core.ErrMalformed) {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		// A parsed identifier round-trips to the same text.
		n, ok := new(big.Int).SetString(id.serial, 16)
		if !ok {
			t.Fatalf("serial %q is not hex", id.serial)
		}
		ser := n.Bytes()
		if len(ser) == 0 || ser[0]&0x80 != 0 {
			ser = append([]byte{0}, ser...)
		}
		back := base64.RawURLEncoding.EncodeToString(id.aki) + "." + base64.RawURLEncoding.EncodeToString(ser)
		if back != s || strings.Count(s, ".") != 1 {
			t.Fatalf("%q parsed to %+v, which encodes as %q", s, id, back)
		}
	})
}
