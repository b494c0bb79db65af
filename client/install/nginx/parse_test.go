package nginx

import (
	"errors"
	"slices"
	"testing"

	"github.com/quarry-ca/quarry/internal/core"
)

// debianDefault is the shape of Debian's sites-available/default.
const debianDefault = `##
# You should look at the following URL's in order to grasp a solid understanding
##

# Default server configuration
#
server {
	listen 80 default_server;
	listen [::]:80 default_server;

	# SSL configuration
	#
	# listen 443 ssl default_server;
	# include snippets/snakeoil.conf;

	root /var/www/html;

	# Add index.php to the list if you are using PHP
	index index.html index.htm index.nginx-debian.html;

	server_name _;

	location / {
		# First attempt to serve request as file, then
		# as directory, then fall back to displaying a 404.
		try_files $uri $uri/ =404;
	}

	#location ~ \.php$ {
	#	include snippets/fastcgi-php.conf;
	#}
}
`

func TestParseRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"only comments", "# a\n  # b"},
		{"debian default", debianDefault},
		{"one line", `events{}http{server{listen 80;server_name a.test;}}`},
		{"crlf", "http {\r\n  server {\r\n    listen 80;\r\n  }\r\n}\r\n"},
		{"quotes", `log_format main '$remote_addr "$request"' "a\"b" 'c\'d';`},
		{"quoted then paren", `if ($http_host = "x.test") { return 404; }`},
		{"variable braces", `set $a ${host}x;  return 200 "${a}{";`},
		{"hash inside word", `add_header X-A a#b;`},
		{"comment between args", "listen 80 # why\n  default_server;"},
		{"escapes", `rewrite ^/a\ b$ /c\;d break;`},
		{"regex location", `location ~* \.(gif|jpg)$ { expires 30d; }`},
		{"tabs and trailing", "\tuser  www-data ;\t\n\n\n"},
		{"comment at eof without newline", "worker_processes 1; # done"},
		{"brace in word", `map $a $b { default x}; }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := string(f.Bytes()); got != tt.in {
				t.Errorf("got %q, want the input %q", got, tt.in)
			}
		})
	}
}

func TestParseTree(t *testing.T) {
	f, err := Parse([]byte(`http { server { listen 127.0.0.1:80 "ssl"; server_name 'a.test' "b c.test"; } } # end`))
	if err != nil {
		t.Fatal(err)
	}
	http := f.Directives[0]
	if http.Name() != "http" || http.Block == nil || len(http.Block.Directives) != 1 {
		t.Fatalf("got %v, want one http block with one server", http)
	}
	srv := http.Block.Directives[0].Block.Directives
	if got, want := srv[0].Args(), []string{"127.0.0.1:80", "ssl"}; !slices.Equal(got, want) {
		t.Errorf("got listen args %q, want %q", got, want)
	}
	if got, want := srv[1].Args(), []string{"a.test", "b c.test"}; !slices.Equal(got, want) {
		t.Errorf("got server_name args %q, want %q", got, want)
	}
	if got, want := f.PreClose, " # end"; got != want {
		t.Errorf("got trailing %q, want %q", got, want)
	}
}

func TestWordValue(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`plain`, "plain"},
		{`"a b"`, "a b"},
		{`'a"b'`, `a"b`},
		{`"a\"b\\c"`, `a"b\c`},
		{`a\tb\nc`, "a\tb\nc"},
		{`^/a\.b$`, `^/a\.b$`},
	}
	for _, tt := range tests {
		if got := (Word{Raw: tt.raw}).Value(); got != tt.want {
			t.Errorf("Value(%s): got %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct{ name, in string }{
		{"unclosed block", "http { server {"},
		{"stray close", "}"},
		{"unterminated directive", "listen 80"},
		{"empty directive", ";"},
		{"block without name", "{ }"},
		{"close inside directive", "http { listen 80 }"},
		{"unterminated quote", `root "/var/www;`},
		{"text after quote", `root "/a"b;`},
		{"backslash at eof", `root a\`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if !errors.Is(err, core.ErrMalformed) {
				t.Errorf("got %v, want a malformed error", err)
			}
		})
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts
// serializes back to the same bytes.
func FuzzParse(f *testing.F) {
	for _, s := range []string{debianDefault, `a "b\"" 'c' ${d}{;`, "x { y { z; } }\n# c", `if ($a = "b") { }`, "a\\\n;"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := Parse(in)
		if err != nil {
			return
		}
		if got := p.Bytes(); string(got) != string(in) {
			t.Fatalf("got %q, want the input %q", got, in)
		}
	})
}
