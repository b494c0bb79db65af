package client

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// retryAfter reads a Retry-After header given either as delay-seconds or as
// an HTTP-date (RFC 9110 §10.2.3). ok is false when the header is absent or
// unreadable; a date in the past is a zero delay.
func retryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// linkURLs returns the targets of every Link header (RFC 8288) whose rel
// includes rel, resolved against base. Malformed links are skipped.
func linkURLs(h http.Header, rel string, base *url.URL) []string {
	var out []string
	for _, v := range h.Values("Link") {
		for _, l := range splitLinks(v) {
			if !hasRel(l.params, rel) {
				continue
			}
			target, err := base.Parse(l.target)
			if err != nil {
				continue
			}
			out = append(out, target.String())
		}
	}
	return out
}

type link struct {
	target string
	params map[string]string
}

// splitLinks parses one Link header value: a comma-separated list of
// <target>; key=value; key="quoted, value" entries.
func splitLinks(v string) []link {
	var out []link
	for {
		start := strings.IndexByte(v, '<')
		if start < 0 {
			return out
		}
		end := strings.IndexByte(v[start:], '>')
		if end < 0 {
			return out
		}
		l := link{target: v[start+1 : start+end], params: map[string]string{}}
		v = v[start+end+1:]
		v = parseParams(v, l.params)
		out = append(out, l)
	}
}

// parseParams reads ;-separated parameters into params up to the comma that
// ends the link, and returns the rest of the header value.
func parseParams(v string, params map[string]string) string {
	for {
		v = strings.TrimLeft(v, " \t")
		if v == "" || v[0] == ',' {
			return strings.TrimPrefix(v, ",")
		}
		if v[0] != ';' {
			// Junk between parameters: skip to the next separator.
			i := strings.IndexAny(v, ";,")
			if i < 0 {
				return ""
			}
			v = v[i:]
			continue
		}
		v = strings.TrimLeft(v[1:], " \t")
		i := strings.IndexAny(v, "=;,")
		if i < 0 || v[i] != '=' {
			if i < 0 {
				i = len(v)
			}
			params[strings.ToLower(strings.TrimSpace(v[:i]))] = ""
			v = v[i:]
			continue
		}
		key := strings.ToLower(strings.TrimSpace(v[:i]))
		var val string
		val, v = paramValue(v[i+1:])
		params[key] = val
	}
}

// paramValue reads a token or quoted-string and returns it and the rest.
func paramValue(v string) (val, rest string) {
	v = strings.TrimLeft(v, " \t")
	if !strings.HasPrefix(v, `"`) {
		i := strings.IndexAny(v, ";,")
		if i < 0 {
			return strings.TrimSpace(v), ""
		}
		return strings.TrimSpace(v[:i]), v[i:]
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			if i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			}
		case '"':
			return b.String(), v[i+1:]
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String(), ""
}

// hasRel reports whether the space-separated rel parameter names rel.
func hasRel(params map[string]string, rel string) bool {
	for _, r := range strings.Fields(params["rel"]) {
		if strings.EqualFold(r, rel) {
			return true
		}
	}
	return false
}
