package harness

import "testing"

func TestParseOCSPOutput(t *testing.T) {
	const cert = "/tmp/x/cert.pem"
	tests := []struct {
		name string
		out  string
		want OCSPAnswer
	}{
		{
			name: "good",
			out: "WARNING: no nonce in response\nResponse verify OK\n" + cert + ": good\n" +
				"\tThis Update: Dec  7 04:03:57 2026 GMT\n\tNext Update: Dec 11 04:03:57 2026 GMT\n",
			want: OCSPAnswer{Status: "good", Verified: true},
		},
		{
			name: "revoked for key compromise",
			out: "Response verify OK\n" + cert + ": revoked\n\tThis Update: Dec  7 04:03:57 2026 GMT\n" +
				"\tNext Update: Dec 11 04:03:57 2026 GMT\n\tReason: keyCompromise\n\tRevocation Time: Dec  7 04:03:57 2026 GMT\n",
			want: OCSPAnswer{Status: "revoked", Reason: "keyCompromise", Verified: true},
		},
		{
			name: "verify failure",
			out:  "Response Verify Failure\n40F7:error:13800074:OCSP routines:OCSP_basic_verify:signer certificate not found\n" + cert + ": good\n",
			want: OCSPAnswer{Status: "good"},
		},
		{
			name: "reason of another certificate",
			out:  "Response verify OK\n/tmp/other.pem: revoked\n\tReason: superseded\n" + cert + ": good\n",
			want: OCSPAnswer{Status: "good", Verified: true},
		},
		{
			name: "another certificate's status",
			out:  "Response verify OK\n/tmp/x/cert.pem.bak: revoked\n",
			want: OCSPAnswer{Verified: true},
		},
		{name: "nothing", out: "Error querying OCSP responder\n", want: OCSPAnswer{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseOCSPOutput(tc.out, cert)
			got.Output = ""
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCheckLoopbackURL(t *testing.T) {
	tests := []struct {
		url    string
		wantOK bool
	}{
		{url: "http://127.0.0.1:14080/ocsp", wantOK: true},
		{url: "http://[::1]:14080/crl/e1/3.crl", wantOK: true},
		{url: "http://localhost:14080/ocsp"},
		{url: "http://192.0.2.1/ocsp"},
		{url: "https://127.0.0.1/ocsp"},
		{url: "ldap://127.0.0.1/cn=crl"},
		{url: "%zz"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			if err := checkLoopbackURL(tc.url); (err == nil) != tc.wantOK {
				t.Errorf("got %v, want OK %t", err, tc.wantOK)
			}
		})
	}
}

func TestParseStapled(t *testing.T) {
	tests := []struct {
		name        string
		out         string
		wantStatus  string
		wantStapled bool
	}{
		{name: "none yet", out: "CONNECTED(00000003)\nOCSP response: no response sent\n---\n"},
		{name: "no status request", out: "CONNECTED(00000003)\n---\nCertificate chain\n"},
		{
			name: "good",
			out: "OCSP response: \n======================================\nOCSP Response Data:\n" +
				"    OCSP Response Status: successful (0x0)\n    Cert Status: good\n    This Update: Dec  7 04:05:49 2026 GMT\n",
			wantStatus: "good", wantStapled: true,
		},
		{
			name:       "revoked",
			out:        "OCSP response: \n    Cert Status: revoked\n    Revocation Time: Dec  7 04:05:49 2026 GMT\n",
			wantStatus: "revoked", wantStapled: true,
		},
		{name: "error status", out: "OCSP response: \n    OCSP Response Status: unauthorized (0x6)\n", wantStapled: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, stapled := parseStapled(tc.out)
			if status != tc.wantStatus || stapled != tc.wantStapled {
				t.Errorf("got %q %t, want %q %t", status, stapled, tc.wantStatus, tc.wantStapled)
			}
		})
	}
}
