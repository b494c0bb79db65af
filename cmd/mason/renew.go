package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/client/renew"
	"github.com/quarry-ca/quarry/client/store"
)

// renewResult is one certificate's outcome in renew's JSON output.
type renewResult struct {
	Name    string `json:"name"`
	Renewed bool   `json:"renewed"`
	DryRun  bool   `json:"dry_run,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Why     string `json:"why,omitempty"` // Reason in words, as the text output says it
	NextAt  string `json:"next_check,omitempty"`
	Error   string `json:"error,omitempty"`
	Saved   *saved `json:"saved,omitempty"`
}

// renewRun is one `mason renew`: its flags and the once-per-run hooks.
type renewRun struct {
	e                 env
	st                *store.Store
	o                 out
	force, dryRun     bool
	deployHook        string
	preHook, postHook string
	preRan            bool
	preErr            error
}

func runRenew(ctx context.Context, e env, args []string) int {
	var c common
	var certName string
	rr := renewRun{e: e}
	fs := flagSet(e, "renew")
	c.bind(fs)
	fs.StringVar(&certName, "cert-name", "", "renew only this lineage")
	fs.BoolVar(&rr.force, "force-renewal", false, "renew now even if not due, ignoring back-off")
	fs.BoolVar(&rr.dryRun, "dry-run", false, "run the renewals (Let's Encrypt: against staging) but save nothing and run no deploy hook")
	fs.StringVar(&rr.deployHook, "deploy-hook", "", "command run after each renewal (overrides the saved one)")
	fs.StringVar(&rr.preHook, "pre-hook", "", "command run once before the first renewal, only if one is due")
	fs.StringVar(&rr.postHook, "post-hook", "", "command run once after the renewals, only if the pre-hook's turn came")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	rr.o = c.out(e)
	o := rr.o
	st, err := openStore(e, c)
	if err != nil {
		return o.fail(err)
	}
	rr.st = st
	unlock, err := e.lock(ctx, st)
	if err != nil {
		return o.fail(err)
	}
	defer unlock()
	names := []string{certName}
	if certName == "" {
		if names, err = st.Names(); err != nil {
			return o.fail(err)
		}
	}
	if len(names) == 0 {
		o.step("No certificates to renew under %s", st.Dir())
	}
	results := []renewResult{}
	failed := 0
	for _, name := range names {
		res := rr.renewOne(ctx, name)
		if res.Error != "" {
			failed++
			fmt.Fprintf(e.stderr, "mason: %s: %s.\n", name, res.Error)
		}
		results = append(results, res)
	}
	postFailed := false
	if rr.preRan && rr.postHook != "" {
		if err := runHook(ctx, "post-hook", rr.postHook, nil); err != nil {
			postFailed = true
			fmt.Fprintf(e.stderr, "mason: %s\n", o.sentence(err))
		} else {
			o.step("Post-hook ran")
		}
	}
	o.result(results)
	switch {
	case failed > 0 && failed == len(names) && certName != "":
		return exitFailed
	case failed > 0 || postFailed:
		return exitPartial
	}
	return exitOK
}

// due runs the pre-hook the first time a lineage is due in this run.
func (rr *renewRun) due(ctx context.Context) error {
	if !rr.preRan {
		rr.preRan = true
		if rr.preHook != "" {
			if rr.preErr = runHook(ctx, "pre-hook", rr.preHook, nil); rr.preErr == nil {
				rr.o.step("Pre-hook ran")
			}
		}
	}
	return rr.preErr
}

// renewOne renews one lineage if due; its failure is recorded in its state
// and never stops the others.
func (rr *renewRun) renewOne(ctx context.Context, name string) renewResult {
	e, st, o := rr.e, rr.st, rr.o
	res := renewResult{Name: name, DryRun: rr.dryRun}
	fail := func(err error) renewResult { res.Error = explain(err, e.now()); return res }
	r, err := loadLineage(st, name)
	if err != nil {
		return fail(err)
	}
	if err := st.Repair(name); err != nil {
		return fail(err)
	}
	_, files, err := st.Current(name)
	if err != nil {
		return fail(err)
	}
	leaf, err := parseCert(files.Cert)
	if err != nil {
		return fail(fmt.Errorf("reading live certificate: %w", err))
	}
	s, err := loadSession(ctx, e, st, r.Server, r.CABundle, r.Account)
	if errors.Is(err, errNoAccount) {
		// The lineage's account was deactivated or removed; another
		// account for the same server renews it and is saved with it.
		if s, err = loadSession(ctx, e, st, r.Server, r.CABundle, ""); err == nil {
			r.Account = s.account.ID
		}
	}
	if err != nil {
		return fail(err)
	}
	state, err := st.LoadState(name)
	if err != nil {
		return fail(err)
	}
	ari, replaces, dirErr := renewalInfo(ctx, s.client, leaf)
	if dirErr == nil {
		ari, state = ariInput(ari, replaces != "", state)
	} else if ari == nil {
		// The directory could not be read: whether ARI is offered is
		// unknown, so the stored window stands.
		ari = state.ARIWindow
	}
	d := renew.Decide(renew.Input{
		Now: e.now(), Cert: renew.Cert{NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter},
		ARI: ari, State: state, Force: rr.force || rr.dryRun,
	}, e.rand)
	res.Reason, res.Why = d.Reason, why(d.Reason, leaf)
	if !d.Renew {
		res.NextAt = d.At.UTC().Format("2006-01-02T15:04:05Z")
		o.step("%s: %s", name, notDue(d, leaf, d.State))
		if err := st.SaveState(name, d.State); err != nil {
			return fail(err)
		}
		return res
	}
	if err := rr.due(ctx); err != nil {
		return fail(fmt.Errorf("not renewed: %w", err))
	}
	opts := orderOpts{replaces: replaces}
	if r.ReuseKey {
		opts.key = files.PrivKey
	}
	if rr.dryRun {
		return rr.dryRunOne(ctx, s, name, r, opts, res)
	}
	o.step("%s: renewing (%s)", name, why(d.Reason, leaf)+explanation(d.State))
	sv, err := issueAndSave(ctx, e, st, s, name, r, opts, o)
	if err != nil {
		_ = st.SaveState(name, d.State.Failed(e.now(), errors.New(explain(err, e.now())), retryAfter(err)))
		return fail(err)
	}
	res.Renewed, res.Saved = true, sv
	if err := st.SaveState(name, d.State.Succeeded()); err != nil {
		return fail(err)
	}
	if err := reloadInstaller(ctx, r, o, name); err != nil {
		return fail(err)
	}
	hook := rr.deployHook
	if hook == "" {
		hook = r.DeployHook
	}
	if hook != "" {
		if err := deployHook(ctx, hook, st.LineageDir(name), r.Domains); err != nil {
			return fail(err)
		}
		o.step("%s: deploy hook ran", name)
	}
	return res
}

// dryRunOne renews against staging (for Let's Encrypt) or the lineage's
// own server and keeps nothing: no version, no state, no deploy hook.
func (rr *renewRun) dryRunOne(ctx context.Context, s *session, name string, r store.Renewal, opts orderOpts, res renewResult) renewResult {
	opts.replaces = "" // a throwaway order must not mark the live certificate replaced
	if r.Server == letsEncrypt {
		var err error
		r.Server = letsEncryptStaging
		if s, err = loadSession(ctx, rr.e, rr.st, r.Server, r.CABundle, ""); err != nil {
			if errors.Is(err, errNoAccount) {
				err = errors.New("dry runs of Let's Encrypt lineages use staging, where there is no account; run 'mason register --server letsencrypt-staging --agree-tos'")
			}
			res.Error = err.Error()
			return res
		}
	}
	rr.o.step("%s: dry run against %s", name, r.Server)
	if _, err := obtain(ctx, rr.e, s, r, opts, rr.o); err != nil {
		res.Error = "dry run failed: " + explain(err, rr.e.now())
		return res
	}
	rr.o.step("%s: dry run succeeded; nothing was saved", name)
	return res
}

// renewalInfo asks for the ARI window. When the directory lists
// renewalInfo the new order names the certificate it replaces, even if this
// one fetch failed; without ARI (or a window) the lifetime rule decides.
// The error is the directory's: without it, whether ARI is offered is
// unknown.
func renewalInfo(ctx context.Context, c *client.Client, leaf *x509.Certificate) (*renew.Window, string, error) {
	dir, err := c.Directory(ctx)
	if err != nil {
		return nil, "", err
	}
	if dir.RenewalInfo == "" {
		return nil, "", nil
	}
	id, err := client.ARICertID(leaf)
	if err != nil {
		return nil, "", nil
	}
	info, _, err := c.RenewalInfo(ctx, leaf)
	if err != nil {
		return nil, id, nil
	}
	return &renew.Window{Start: info.SuggestedWindow.Start, End: info.SuggestedWindow.End, ExplanationURL: info.ExplanationURL}, id, nil
}

// retryAfter is the wait the CA asked for when it refused, zero if none.
func retryAfter(err error) time.Duration {
	var ae *client.Error
	if errors.As(err, &ae) {
		return ae.RetryAfter
	}
	return 0
}

// ariInput is the window renew decides by. A window fetched now wins; when
// the server offers ARI but this fetch failed, the window fetched last time
// still stands (it may be an early one the CA asked for); a server that no
// longer offers ARI leaves the lifetime rule, and its old window is
// forgotten so that `mason certificates` does not show it.
func ariInput(fetched *renew.Window, offered bool, st renew.State) (*renew.Window, renew.State) {
	switch {
	case fetched != nil:
		return fetched, st
	case offered:
		return st.ARIWindow, st
	}
	st.ARIWindow, st.ARIMoment = nil, time.Time{}
	return nil, st
}

func domainsEnv(d []string) string { return strings.Join(d, " ") }
