package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/internal/core"
)

// validationError marks a failure while the CA validated one name, so the
// sentence can say which name the CA could not confirm.
type validationError struct {
	name string
	err  error
}

func (v *validationError) Error() string {
	return "validation of " + v.name + " failed: " + v.err.Error()
}
func (v *validationError) Unwrap() error { return v.err }

// explain turns err into the one sentence mason prints (without "mason: "
// and without the final period): what failed, the server's own words, and
// what to do next. now dates a rate limit's Retry-After.
func explain(err error, now time.Time) string {
	var ae *client.Error
	if errors.As(err, &ae) {
		if ae.Problem.Type == "" {
			return explainStatus(err, ae)
		}
		return explainProblem(err, ae, now)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return explainTransport(ue)
	}
	msg := err.Error()
	// An error kind ("dns: ", "malformed: ") is for errors.Is, not people.
	var ce *core.Error
	if errors.As(err, &ce) && ce.Detail != "" {
		msg = strings.Replace(msg, ce.Error(), ce.Detail, 1)
	}
	msg = strings.TrimSuffix(strings.TrimSpace(msg), ".")
	// A message that already says what to do ("…; check --dns-server")
	// keeps its own advice.
	var netErr *net.OpError
	if errors.As(err, &netErr) && !strings.Contains(msg, "; ") {
		return msg + "; check --server and that the server is reachable"
	}
	return msg
}

// explainTransport speaks of the URL mason could not reach, and why.
func explainTransport(ue *url.Error) string {
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.Is(ue.Err, context.Canceled):
		return fmt.Sprintf("stopped while waiting for the ACME server at %s; run the command again", ue.URL)
	case errors.As(ue.Err, &unknown):
		return fmt.Sprintf("the ACME server at %s presents a certificate mason does not trust; give its root with --ca-bundle", ue.URL)
	case errors.As(ue.Err, &hostErr):
		return fmt.Sprintf("the ACME server at %s presents a certificate for another name (%s); check --server", ue.URL, clean(hostErr.Error()))
	case ue.Timeout():
		return fmt.Sprintf("the ACME server at %s did not answer in time; check --server and the network, then try again", ue.URL)
	}
	return fmt.Sprintf("could not reach the ACME server at %s (%s); check --server and that the server is up and reachable", ue.URL, clean(rootCause(ue.Err)))
}

// explainStatus words a failure that came without a problem type: an
// HTTP error page (a proxy's 502) or an order or authorization that ended
// invalid without saying why.
func explainStatus(err error, ae *client.Error) string {
	detail := problemDetail(ae.Problem)
	var ve *validationError
	switch {
	case errors.As(err, &ve):
		return fmt.Sprintf("the CA could not validate %s: %s; check the challenge's setup and try again", ve.name, detail)
	case ae.StatusCode != 0:
		return fmt.Sprintf("the ACME server answered HTTP %d (%s) instead of ACME; check --server, then try again later", ae.StatusCode, detail)
	}
	return fmt.Sprintf("the CA says %s; try again, and ask the CA's operator if it keeps failing", detail)
}

// rootCause is the innermost error's text: "connection refused" rather
// than the whole dial chain.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// serveChallenge is the next step when the CA saw the wrong answer.
const serveChallenge = "check that the web server serves /.well-known/acme-challenge/ from the webroot given, or that the TXT record is the one published"

// explainProblem words an ACME problem document: the server's detail is
// kept, the problem type picks the next step.
func explainProblem(err error, ae *client.Error, now time.Time) string {
	p := ae.Problem
	detail := problemDetail(p)
	var ve *validationError
	errors.As(err, &ve)
	// validation words a problem about one name: "the CA could not
	// validate NAME: DETAIL; NEXT", else "WHAT: DETAIL; NEXT".
	validation := func(what, next string) string {
		if ve != nil {
			return fmt.Sprintf("the CA could not validate %s: %s; %s", ve.name, detail, next)
		}
		return fmt.Sprintf("%s: %s; %s", what, detail, next)
	}
	switch p.Type {
	case acme.ProblemAlreadyRevoked:
		return fmt.Sprintf("the CA says %s; nothing to do", detail)
	case acme.ProblemRateLimited:
		when := "later"
		if ae.RetryAfter > 0 {
			when = "after " + now.Add(ae.RetryAfter).UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return fmt.Sprintf("the CA is rate limiting: %s; try again %s", detail, when)
	case acme.ProblemBadNonce:
		return fmt.Sprintf("the CA kept refusing fresh nonces (%s); try again, and if it persists check for a proxy or load balancer between mason and the CA", detail)
	case acme.ProblemServerInternal:
		return fmt.Sprintf("the CA failed with an internal error: %s; try again later and tell the CA's operator if it persists", detail)
	case acme.ProblemBadCSR:
		return fmt.Sprintf("the CA refused the certificate request: %s; check --key-type, --rsa-key-size and --elliptic-curve (or the --csr file)", detail)
	case acme.ProblemRejectedIdentifier, acme.ProblemUnsupportedIdentifier:
		return fmt.Sprintf("the CA will not issue for these names: %s; remove the refused name from -d", detail)
	case acme.ProblemCAA:
		return validation("a CAA record forbids this CA", "add this CA to the name's CAA records or remove them")
	case acme.ProblemDNS:
		return validation("the CA's DNS lookup failed", "check that the name exists in public DNS and its servers answer")
	case acme.ProblemConnection, acme.ProblemTLS:
		return validation("the CA could not connect to validate", "check that the name points at this server and port 80 (http-01) or 443 (tls-alpn-01) is open to the CA")
	case acme.ProblemIncorrectResponse:
		return validation("the CA got the wrong answer to its challenge", serveChallenge)
	case acme.ProblemUnauthorized:
		if ve != nil {
			// CAs answer a challenge file they could not fetch (404) so.
			return validation("", serveChallenge)
		}
		return fmt.Sprintf("the CA refused as unauthorized: %s; check that this account (or key) controls the names or the certificate", detail)
	case acme.ProblemExternalAccountRequired:
		return fmt.Sprintf("the CA requires an external account binding: %s; get --eab-kid and --eab-hmac-key from its operator", detail)
	case acme.ProblemAccountDoesNotExist:
		return fmt.Sprintf("the CA does not know this account: %s; run 'mason register --agree-tos' for this server", detail)
	case acme.ProblemUserActionRequired:
		next := "visit the CA's website"
		if p.Instance != "" {
			next = "visit " + clean(p.Instance)
		}
		return fmt.Sprintf("the CA needs you to act: %s; %s, then try again", detail, next)
	case acme.ProblemInvalidProfile:
		return fmt.Sprintf("the CA refused the profile: %s; pick one it offers with --profile", detail)
	case acme.ProblemInvalidContact, acme.ProblemUnsupportedContact:
		return fmt.Sprintf("the CA refused the contact address: %s; give a working --email", detail)
	}
	if ve != nil {
		return fmt.Sprintf("the CA could not validate %s: %s; fix what it names and try again", ve.name, detail)
	}
	return fmt.Sprintf("the CA refused the request: %s (%s)", detail, strings.TrimPrefix(string(p.Type), acme.ErrorNS))
}

// problemDetail is the server's detail, with each subproblem's identifier
// and detail after it, cleaned of anything a terminal would interpret.
func problemDetail(p acme.Problem) string {
	d := strings.TrimSuffix(clean(p.Detail), ".")
	if d == "" {
		d = strings.TrimPrefix(string(p.Type), acme.ErrorNS)
	}
	var subs []string
	for _, s := range p.Subproblems {
		sd := strings.TrimSuffix(clean(s.Detail), ".")
		if s.Identifier != nil {
			sd = clean(s.Identifier.Value) + ": " + sd
		}
		subs = append(subs, sd)
	}
	if len(subs) > 0 {
		d += " (" + strings.Join(subs, "; ") + ")"
	}
	return d
}

// maxDetail bounds how much of a server's text lands in the sentence.
const maxDetail = 300

// clean keeps server-supplied text to one printable line: a hostile or
// broken server must not move the cursor or forge further lines.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case !unicode.IsPrint(r):
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if len([]rune(s)) > maxDetail {
		s = string([]rune(s)[:maxDetail]) + "…"
	}
	return s
}
