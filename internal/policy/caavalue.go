package policy

import "strings"

// ParseCAAValue splits an issue or issuewild property value (RFC 8659
// §4.2) into its issuer domain name, lower-cased and possibly empty as in
// `;`, and its parameters keyed by lower-cased tag. ok is false when the
// value does not follow the grammar or repeats a parameter; such a value
// authorizes no one.
func ParseCAAValue(value string) (issuer string, params map[string]string, ok bool) {
	domain, rest, _ := strings.Cut(value, ";")
	domain = strings.Trim(domain, " \t")
	if domain != "" && !validCAADomain(domain) {
		return "", nil, false
	}
	params = map[string]string{}
	for _, p := range strings.Split(rest, ";") {
		p = strings.Trim(p, " \t")
		if p == "" {
			continue
		}
		tag, val, found := strings.Cut(p, "=")
		tag, val = strings.ToLower(strings.Trim(tag, " \t")), strings.Trim(val, " \t")
		if !found || !validCAALabel(tag) || !validCAAParamValue(val) {
			return "", nil, false
		}
		if _, dup := params[tag]; dup {
			return "", nil, false
		}
		params[tag] = val
	}
	return strings.ToLower(domain), params, true
}

func validCAADomain(d string) bool {
	for _, label := range strings.Split(d, ".") {
		if !validCAALabel(label) {
			return false
		}
	}
	return true
}

// validCAALabel checks (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT)), the
// shape of both domain labels and parameter tags.
func validCAALabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range []byte(s) {
		if !isAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// validCAAParamValue checks *(%x21-3A / %x3C-7E): printable, no space or ';'.
func validCAAParamValue(v string) bool {
	for _, c := range []byte(v) {
		if c < 0x21 || c > 0x7e || c == ';' {
			return false
		}
	}
	return true
}
