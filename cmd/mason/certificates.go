package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/client/renew"
	"github.com/quarry-ca/quarry/client/store"
)

// certInfo is one lineage as `mason certificates` shows it.
type certInfo struct {
	Name      string    `json:"name"`
	Domains   []string  `json:"domains"`
	Version   int       `json:"version"`
	Serial    string    `json:"serial"`
	NotAfter  time.Time `json:"not_after"`
	DaysLeft  int       `json:"days_left"`
	FullChain string    `json:"fullchain"`
	PrivKey   string    `json:"privkey"`
	renewalPlan
	Error string `json:"error,omitempty"`
}

// renewalPlan is when a lineage renews and why, from the state the last
// `mason renew` stored: no network, so the listing works offline and
// never moves the schedule.
type renewalPlan struct {
	// RenewalDue is when renewal falls due, by RenewalRule (one of
	// renew's Reason constants: the ARI window or the lifetime rule).
	RenewalDue  time.Time `json:"renewal_due"`
	RenewalRule string    `json:"renewal_rule"`
	// RenewalWhy says the rule in words, as the text output does.
	RenewalWhy string `json:"renewal_why"`
	// ARIWindow is the CA's suggested window last fetched by renew.
	ARIWindow *renew.Window `json:"ari_window,omitempty"`
	// BackoffUntil is set while failures hold the next attempt back.
	BackoffUntil *time.Time `json:"backoff_until,omitempty"`
	Failures     int        `json:"failures,omitempty"`
	LastFailure  *time.Time `json:"last_failure,omitempty"`
	LastError    string     `json:"last_error,omitempty"`
}

func runCertificates(ctx context.Context, e env, args []string) int {
	var c common
	fs := flagSet(e, "certificates")
	c.bind(fs)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	o := c.out(e)
	st, err := openStore(e, c)
	if err != nil {
		return o.fail(err)
	}
	names, err := st.Names()
	if err != nil {
		return o.fail(err)
	}
	list := []certInfo{}
	for _, name := range names {
		list = append(list, describe(st, name, e.now()))
	}
	if len(list) == 0 {
		o.step("No certificates under %s", st.Dir())
	}
	for _, i := range list {
		if i.Error != "" {
			o.step("%s: unreadable: %s", i.Name, i.Error)
			continue
		}
		o.step("%s\n  domains:    %v\n  expires:    %s (%d days)\n%s  fullchain:  %s\n  privkey:    %s",
			i.Name, i.Domains, humanTime(i.NotAfter), i.DaysLeft, renewalLines(i.renewalPlan, e.now()), i.FullChain, i.PrivKey)
	}
	o.result(list)
	return exitOK
}

// describe reads one lineage; a broken one is listed with its error.
func describe(st *store.Store, name string, now time.Time) certInfo {
	info := certInfo{Name: name, FullChain: st.LivePath(name, "fullchain"), PrivKey: st.LivePath(name, "privkey")}
	r, err := st.LoadRenewal(name)
	if err != nil {
		info.Error = err.Error()
		return info
	}
	info.Domains = r.Domains
	n, files, err := st.Current(name)
	if err != nil {
		info.Error = err.Error()
		return info
	}
	leaf, err := parseCert(files.Cert)
	if err != nil {
		info.Error = fmt.Sprintf("live certificate: %v", err)
		return info
	}
	info.Version, info.Serial, info.NotAfter = n, leaf.SerialNumber.Text(16), leaf.NotAfter.UTC()
	info.DaysLeft = int(leaf.NotAfter.Sub(now).Hours() / 24)
	state, err := st.LoadState(name)
	if err != nil {
		info.Error = fmt.Sprintf("renewal state: %v", err)
		return info
	}
	info.renewalPlan = renewalSchedule(leaf, state, now)
	return info
}

// midpoint stands in for randomness: with the stored window passed back,
// Decide keeps the stored moment and never draws.
type midpoint struct{}

func (midpoint) Float64() float64 { return 0.5 }

// renewalSchedule is what renew would decide now, given the ARI window it
// stored last time.
func renewalSchedule(leaf *x509.Certificate, state renew.State, now time.Time) renewalPlan {
	d := renew.Decide(renew.Input{
		Now: now, Cert: renew.Cert{NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter},
		ARI: state.ARIWindow, State: state,
	}, midpoint{})
	ri := renewalPlan{
		RenewalDue: d.Due.UTC(), RenewalRule: d.DueReason, RenewalWhy: why(d.DueReason, leaf),
		ARIWindow: state.ARIWindow, Failures: state.Failures, LastError: state.LastError,
	}
	if d.Reason == renew.ReasonBackoff {
		t := d.At.UTC()
		ri.BackoffUntil = &t
	}
	if !state.LastFailure.IsZero() {
		t := state.LastFailure.UTC()
		ri.LastFailure = &t
	}
	return ri
}

// renewalLines are the text listing's renewal lines, each indented and
// ending in a newline.
func renewalLines(ri renewalPlan, now time.Time) string {
	var b strings.Builder
	due := "due at " + humanTime(ri.RenewalDue)
	if !ri.RenewalDue.After(now) {
		due = "due now (since " + humanTime(ri.RenewalDue) + ")"
	}
	fmt.Fprintf(&b, "  renewal:    %s, %s\n", due, ri.RenewalWhy)
	if w := ri.ARIWindow; w != nil {
		fmt.Fprintf(&b, "  ARI window: %s to %s, as the CA suggested at the last renew\n", humanTime(w.Start), humanTime(w.End))
		if w.ExplanationURL != "" {
			fmt.Fprintf(&b, "  ARI note:   %s\n", clean(w.ExplanationURL))
		}
	}
	if ri.BackoffUntil != nil {
		fmt.Fprintf(&b, "  back-off:   after %s, next attempt at %s\n", failures(ri.Failures), humanTime(*ri.BackoffUntil))
	}
	if ri.LastFailure != nil {
		fmt.Fprintf(&b, "  last error: %s (%s in a row): %s\n", humanTime(*ri.LastFailure), failures(ri.Failures), ri.LastError)
	}
	return b.String()
}
