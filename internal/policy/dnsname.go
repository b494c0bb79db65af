package policy

import (
	"net/netip"
	"strings"

	"github.com/quarry-ca/quarry/internal/core"
	"golang.org/x/net/idna"
)

const (
	maxNameLen  = 253 // RFC 1035 §2.3.4, without the root's trailing dot
	maxLabelLen = 63
)

// checkDNSName applies every rule for a dns identifier in the policy's mode.
func (p *Policy) checkDNSName(name string) *core.Error {
	base, wildcard, err := parseDNSName(name)
	if err != nil {
		return err
	}
	if wildcard && isICANNSuffix(base) {
		return core.Errorf(core.ErrRejectedIdentifier,
			"wildcard %q would cover every name under the public suffix %q", name, base)
	}
	if p.public() {
		if err := checkPublicName(base); err != nil {
			return err
		}
	}
	if p.blocked.blocksName(base, wildcard) {
		return core.Errorf(core.ErrRejectedIdentifier, "%q is on the CA's block list", name)
	}
	return nil
}

// parseDNSName checks the syntax every mode shares and splits off a leading
// "*." wildcard label, returning the name it stands over.
func parseDNSName(name string) (base string, wildcard bool, err *core.Error) {
	if _, ipErr := netip.ParseAddr(name); ipErr == nil {
		return "", false, core.Errorf(core.ErrMalformed,
			"%q is an IP address; use an identifier of type \"ip\"", name)
	}
	if err := checkCharacters(name); err != nil {
		return "", false, err
	}
	if len(name) > maxNameLen {
		return "", false, core.Errorf(core.ErrMalformed,
			"name is %d characters long; at most %d are allowed", len(name), maxNameLen)
	}
	base, wildcard, err = splitWildcard(name)
	if err != nil {
		return "", false, err
	}
	if err := checkLabels(base); err != nil {
		return "", false, err
	}
	return base, wildcard, nil
}

// checkCharacters refuses anything outside lower-case LDH, dots and "*".
// Upper case is refused rather than folded so the name the client asked
// for is the name that appears in the certificate.
func checkCharacters(name string) *core.Error {
	switch {
	case name == "":
		return core.Errorf(core.ErrMalformed, "the identifier value is empty")
	case strings.HasSuffix(name, "."):
		return core.Errorf(core.ErrMalformed, "%q ends with a dot; send the name without it", name)
	}
	upper := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '.', c == '*':
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 0x80:
			return core.Errorf(core.ErrMalformed,
				"%q contains non-ASCII characters; send internationalized names as A-labels (xn--…)", name)
		default:
			return core.Errorf(core.ErrMalformed,
				"%q contains an invalid character %q; only letters, digits, hyphens and dots are allowed", name, c)
		}
	}
	if upper {
		return core.Errorf(core.ErrRejectedIdentifier, "%q must be lower case; send %q", name, strings.ToLower(name))
	}
	return nil
}

// splitWildcard allows "*" only as the whole leftmost label, once.
func splitWildcard(name string) (string, bool, *core.Error) {
	n := strings.Count(name, "*")
	if n == 0 {
		return name, false, nil
	}
	if n > 1 || !strings.HasPrefix(name, "*.") {
		return "", false, core.Errorf(core.ErrMalformed,
			"%q: a wildcard must be a single \"*\" as the whole leftmost label", name)
	}
	return name[2:], true, nil
}

// checkLabels applies the per-label LDH rules, R-LDH and IDNA A-label
// validity, and refuses an all-numeric top-level label.
func checkLabels(name string) *core.Error {
	labels := strings.Split(name, ".")
	hasALabel := false
	for _, l := range labels {
		if err := checkLabel(name, l); err != nil {
			return err
		}
		hasALabel = hasALabel || strings.HasPrefix(l, "xn--")
	}
	if isNumeric(labels[len(labels)-1]) {
		return core.Errorf(core.ErrMalformed, "%q: the top-level label must not be all digits", name)
	}
	// Bidi rules (RFC 5893) span labels, so the whole name round-trips too.
	if hasALabel && !roundTrips(name) {
		return core.Errorf(core.ErrMalformed, "%q is not a valid internationalized domain name", name)
	}
	return nil
}

func checkLabel(name, l string) *core.Error {
	switch {
	case l == "":
		return core.Errorf(core.ErrMalformed, "%q contains an empty label", name)
	case len(l) > maxLabelLen:
		return core.Errorf(core.ErrMalformed,
			"%q has a label of %d characters; at most %d are allowed", name, len(l), maxLabelLen)
	case l[0] == '-' || l[len(l)-1] == '-':
		return core.Errorf(core.ErrMalformed, "%q has a label that starts or ends with a hyphen", name)
	case strings.HasPrefix(l, "xn--"):
		if !roundTrips(l) {
			return core.Errorf(core.ErrMalformed, "%q has an invalid IDNA A-label %q", name, l)
		}
	case len(l) >= 4 && l[2:4] == "--":
		// Reserved-LDH labels (RFC 5890 §2.3.1) other than xn-- have no
		// defined meaning yet.
		return core.Errorf(core.ErrMalformed, "%q has a label with \"--\" in the third and fourth positions", name)
	}
	return nil
}

// roundTrips says whether an ASCII name decodes under the IDNA Lookup
// profile and encodes back to exactly itself.
func roundTrips(ascii string) bool {
	u, err := idna.Lookup.ToUnicode(ascii)
	if err != nil || u == ascii {
		return false
	}
	a, err := idna.Lookup.ToASCII(u)
	return err == nil && a == ascii
}

func isNumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
