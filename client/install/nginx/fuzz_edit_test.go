package nginx

import (
	"testing"
)

// FuzzEdits checks that the edits never panic on any configuration Parse
// accepts and always leave one that parses and round-trips.
func FuzzEdits(f *testing.F) {
	for _, s := range []string{
		debianDefault,
		"http { server { listen 80; server_name a.test; } }",
		"http{server{server_name a.test;#c\n}}",
		"http { server { listen [::]:80; listen 443; server_name *.test; ssl_certificate x; } server { listen 443 ssl; server_name a.test; } }",
		"http { server { server_name ~^a; return 301 x; } }",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, challenge := range []bool{false, true} {
			pf, err := Parse(in)
			if err != nil {
				return
			}
			sf := &SourceFile{File: pf, Path: "nginx.conf", Real: "nginx.conf", Orig: in, includes: 1}
			c := &Config{Main: sf, Files: []*SourceFile{sf}, byReal: map[string]*SourceFile{}, included: map[*Directive][]*SourceFile{}}
			if challenge {
				_, err = c.AddChallenge([]string{"a.test"}, "/tmp/w")
			} else {
				_, err = c.InstallCert([]string{"a.test"}, CertOptions{FullChain: "/f c", PrivKey: "/k", Redirect: true})
			}
			if err != nil {
				continue
			}
			out := sf.Bytes()
			re, err := Parse(out)
			if err != nil {
				t.Fatalf("got %v parsing the edited\n%s\nwant it to parse (input %q)", err, out, in)
			}
			if string(re.Bytes()) != string(out) {
				t.Fatalf("got an edited config that does not round-trip: %q", out)
			}
		}
	})
}
