package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// CAACritical is the issuer-critical flag bit (RFC 8659 §4.1).
const CAACritical = 128

// CAARecord is one CAA resource record, independent of any DNS library.
type CAARecord struct {
	Flag  uint8
	Tag   string
	Value string
}

func (r CAARecord) String() string { return fmt.Sprintf("%d %s %q", r.Flag, r.Tag, r.Value) }

// CAAQuery is what a CAA RRset is evaluated against.
type CAAQuery struct {
	Wildcard bool
	// Identities are the issuer domain names that mean this CA. None means
	// every issue or issuewild record refuses: only the absence of CAA
	// permits issuance.
	Identities []string
	AccountURI string             // for the RFC 8657 accounturi parameter
	Method     acme.ChallengeType // for the RFC 8657 validationmethods parameter
}

// knownCAATags are the tags this CA understands (RFC 8659, RFC 9495);
// a critical record with any other tag refuses issuance.
var knownCAATags = []string{"issue", "issuewild", "iodef", "issuemail"}

// CAANames returns the names whose CAA RRsets are relevant to name, in the
// order they are asked (RFC 8659 §3): name, then each parent up to but not
// including the TLD. A single-label name is asked about itself.
func CAANames(name string) []string {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	out := []string{name}
	for {
		_, parent, ok := strings.Cut(name, ".")
		if !ok || !strings.Contains(parent, ".") {
			return out
		}
		out = append(out, parent)
		name = parent
	}
}

// EvaluateCAA decides whether rrs, the relevant RRset found at owner,
// permits issuance. A refusal is a *core.Error of kind ErrCAA naming owner
// and the records that refused.
func EvaluateCAA(owner string, rrs []CAARecord, q CAAQuery) error {
	for _, rr := range rrs {
		if rr.Flag&CAACritical != 0 && !slices.Contains(knownCAATags, strings.ToLower(rr.Tag)) {
			return core.Errorf(core.ErrCAA, "CAA record for %s has an unknown critical property, which prevents issuance: %s", owner, rr)
		}
	}
	relevant := caaProperties(rrs, "issue")
	if q.Wildcard {
		if wild := caaProperties(rrs, "issuewild"); len(wild) > 0 {
			relevant = wild
		}
	}
	if len(relevant) == 0 {
		return nil // only iodef or other non-critical properties
	}
	for _, rr := range relevant {
		if caaPermits(rr.Value, q) {
			return nil
		}
	}
	return core.Errorf(core.ErrCAA, "CAA record for %s prevents issuance: %s", owner, joinRecords(relevant))
}

// caaProperties returns the records with tag, compared case-insensitively.
func caaProperties(rrs []CAARecord, tag string) []CAARecord {
	var out []CAARecord
	for _, rr := range rrs {
		if strings.EqualFold(rr.Tag, tag) {
			out = append(out, rr)
		}
	}
	return out
}

// caaPermits reports whether one issue or issuewild value names this CA and
// its parameters allow the request. An unparsable value permits nothing.
func caaPermits(value string, q CAAQuery) bool {
	issuer, params, ok := ParseCAAValue(value)
	if !ok || issuer == "" {
		return false
	}
	if !slices.ContainsFunc(q.Identities, func(id string) bool { return strings.EqualFold(id, issuer) }) {
		return false
	}
	if uri, ok := params["accounturi"]; ok && (q.AccountURI == "" || uri != q.AccountURI) {
		return false
	}
	if methods, ok := params["validationmethods"]; ok {
		if !slices.Contains(strings.Split(methods, ","), string(q.Method)) {
			return false
		}
	}
	return true
}

func joinRecords(rrs []CAARecord) string {
	parts := make([]string, len(rrs))
	for i, rr := range rrs {
		parts[i] = rr.String()
	}
	return strings.Join(parts, ", ")
}
