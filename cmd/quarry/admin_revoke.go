package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/ra"
)

// revokeOutcome is what became of one serial.
type revokeOutcome string

const (
	outcomeRevoked        revokeOutcome = "revoked"
	outcomeWouldRevoke    revokeOutcome = "would revoke"
	outcomeAlreadyRevoked revokeOutcome = "already revoked"
	outcomeNotFound       revokeOutcome = "not found"
	outcomeInvalid        revokeOutcome = "invalid serial"
	outcomeFailed         revokeOutcome = "failed"
)

type revokeResult struct {
	Serial  string        `json:"serial"`
	Outcome revokeOutcome `json:"outcome"`
	Error   string        `json:"error,omitempty"`
}

type revokeReport struct {
	DryRun    bool           `json:"dryRun"`
	Reason    string         `json:"reason"`
	Results   []revokeResult `json:"results"`
	Revoked   int            `json:"revoked"`
	Failed    int            `json:"failed"`
	Remaining int            `json:"remaining,omitempty"` // left undone by an interruption
}

func adminRevoke(args []string, stdout, stderr io.Writer) error {
	f := newAdminFlags("revoke", true, stderr)
	serial := f.fs.String("serial", "", "`HEX` serial of the certificate to revoke")
	file := f.fs.String("serials-file", "", "`FILE` with one serial per line (# comments and blank lines ignored)")
	reasonName := f.fs.String("reason", "unspecified", "revocation `reason`: "+strings.Join(reasonNames(), ", "))
	if _, err := f.parse(args); err != nil {
		return err
	}
	reason, ok := ra.AdminReasons[*reasonName]
	if !ok {
		return usageError{fmt.Errorf("--reason %q is not one of %s", *reasonName, strings.Join(reasonNames(), ", "))}
	}
	var serials []string
	switch {
	case (*serial == "") == (*file == ""):
		return usageError{errors.New("give exactly one of --serial and --serials-file")}
	case *serial != "":
		s, err := ra.NormalizeSerial(*serial)
		if err != nil {
			return usageError{errors.New(strings.TrimSuffix(sentence(err), "."))}
		}
		serials = []string{s}
	default:
		var err error
		if serials, err = readSerials(*file); err != nil {
			return usageError{err}
		}
	}

	return f.withEnv(stderr, func(ctx context.Context, env *adminEnv) error {
		rep := revokeAll(ctx, env.admin, f.operator(), serials, reason, f.dryRun)
		rep.Reason = *reasonName
		if f.json {
			if err := writeJSON(stdout, rep); err != nil {
				return err
			}
		} else {
			printRevokeReport(stdout, rep, *file != "")
		}
		return revokeExit(rep, *file != "")
	})
}

// revokeAll revokes each serial in turn, carrying on past failures; an
// ended ctx stops it between two serials.
func revokeAll(ctx context.Context, a *ra.Admin, op ra.Operator, serials []string, reason int, dryRun bool) revokeReport {
	rep := revokeReport{DryRun: dryRun, Results: []revokeResult{}}
	for i, raw := range serials {
		if ctx.Err() != nil {
			rep.Remaining = len(serials) - i
			break
		}
		res := revokeResult{Serial: raw}
		s, err := ra.NormalizeSerial(raw)
		if err == nil {
			res.Serial = s
			_, err = a.Revoke(ctx, op, s, reason, dryRun)
		}
		switch {
		case err == nil && dryRun:
			res.Outcome = outcomeWouldRevoke
		case err == nil:
			res.Outcome = outcomeRevoked
		case errors.Is(err, core.ErrAlreadyRevoked):
			res.Outcome = outcomeAlreadyRevoked
		case errors.Is(err, core.ErrNotFound):
			res.Outcome = outcomeNotFound
		case errors.Is(err, core.ErrMalformed):
			res.Outcome = outcomeInvalid
		default:
			res.Outcome = outcomeFailed
		}
		if err != nil {
			res.Error = strings.TrimSuffix(sentence(err), ".")
			rep.Failed++
		} else {
			rep.Revoked++
		}
		rep.Results = append(rep.Results, res)
	}
	return rep
}

func printRevokeReport(w io.Writer, rep revokeReport, batch bool) {
	if !batch {
		if r := rep.Results[0]; r.Error == "" {
			verb := "Revoked"
			if rep.DryRun {
				verb = "Would revoke (dry run, nothing changed):"
			}
			fmt.Fprintf(w, "%s certificate %s (%s).\n", verb, r.Serial, rep.Reason)
		}
		return
	}
	for _, r := range rep.Results {
		if r.Error != "" {
			fmt.Fprintf(w, "%-16s %s: %s\n", r.Outcome, r.Serial, r.Error)
		} else {
			fmt.Fprintf(w, "%-16s %s\n", r.Outcome, r.Serial)
		}
	}
	fmt.Fprintln(w, revokeSummary(rep))
}

// revokeSummary is the closing line of a batch, counting each outcome.
func revokeSummary(rep revokeReport) string {
	counts := map[revokeOutcome]int{}
	for _, r := range rep.Results {
		if r.Error != "" {
			counts[r.Outcome]++
		}
	}
	var parts []string
	for _, o := range []revokeOutcome{outcomeAlreadyRevoked, outcomeNotFound, outcomeInvalid, outcomeFailed} {
		if counts[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	total := len(rep.Results) + rep.Remaining
	verb := "Revoked"
	if rep.DryRun {
		verb = "Dry run: would revoke"
	}
	s := fmt.Sprintf("%s %d of %d certificates", verb, rep.Revoked, total)
	if len(parts) > 0 {
		s += "; " + strings.Join(parts, ", ")
	}
	if rep.Remaining > 0 {
		s += fmt.Sprintf("; interrupted with %d not tried", rep.Remaining)
	}
	return s + "."
}

// revokeExit is the command's error: the failure itself for one serial,
// a count for a batch.
func revokeExit(rep revokeReport, batch bool) error {
	switch {
	case !batch && rep.Failed > 0:
		return errors.New(rep.Results[0].Error)
	case rep.Failed > 0 || rep.Remaining > 0:
		return fmt.Errorf("%d of %d certificates were not revoked; see the lines above", rep.Failed+rep.Remaining, len(rep.Results)+rep.Remaining)
	}
	return nil
}

// readSerials reads a serials file whole before anything is revoked, so a
// file that cannot be read changes nothing. Duplicates count once.
func readSerials(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the serials file: %w", err)
	}
	defer fh.Close()
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		key := line
		if s, err := ra.NormalizeSerial(line); err == nil {
			key = s
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the serials file: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the serials file %s lists no serials", path)
	}
	return out, nil
}

func reasonNames() []string {
	names := make([]string, 0, len(ra.AdminReasons))
	for n := range ra.AdminReasons {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return ra.AdminReasons[a] - ra.AdminReasons[b] })
	return names
}

// timeText formats a time for people: UTC, to the second; empty if unset.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
