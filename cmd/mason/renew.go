package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/client/renew"
	"github.com/quarry-ca/quarry/client/store"
)

// renewResult is one certificate's outcome in renew's JSON output.
type renewResult struct {
	Name    string `json:"name"`
	Renewed bool   `json:"renewed"`
	Reason  string `json:"reason,omitempty"`
	NextAt  string `json:"next_check,omitempty"`
	Error   string `json:"error,omitempty"`
	Saved   *saved `json:"saved,omitempty"`
}

func runRenew(ctx context.Context, e env, args []string) int {
	var c common
	var certName, deployHook string
	var force bool
	fs := flagSet(e, "renew")
	c.bind(fs)
	fs.StringVar(&certName, "cert-name", "", "renew only this lineage")
	fs.BoolVar(&force, "force-renewal", false, "renew now even if not due, ignoring back-off")
	fs.StringVar(&deployHook, "deploy-hook", "", "command run after each renewal (overrides the saved one)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	o := c.out(e)
	st, err := openStore(e, c)
	if err != nil {
		return o.fail(err)
	}
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
		res := renewOne(ctx, e, st, name, force, deployHook, o)
		if res.Error != "" {
			failed++
			fmt.Fprintf(e.stderr, "mason: %s: %s\n", name, res.Error)
		}
		results = append(results, res)
	}
	o.result(results)
	switch {
	case failed > 0 && failed == len(names) && certName != "":
		return exitFailed
	case failed > 0:
		return exitPartial
	}
	return exitOK
}

// renewOne renews one lineage if due; its failure is recorded in its state
// and never stops the others.
func renewOne(ctx context.Context, e env, st *store.Store, name string, force bool, hook string, o out) renewResult {
	res := renewResult{Name: name}
	fail := func(err error) renewResult { res.Error = err.Error(); return res }
	r, err := st.LoadRenewal(name)
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
	s, err := loadSession(e, st, r.Server, r.CABundle, r.Account)
	if err != nil {
		return fail(err)
	}
	state, err := st.LoadState(name)
	if err != nil {
		return fail(err)
	}
	ari, replaces := renewalInfo(ctx, s.client, leaf)
	d := renew.Decide(renew.Input{
		Now: e.now(), Cert: renew.Cert{NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter},
		ARI: ari, State: state, Force: force,
	}, e.rand)
	res.Reason = d.Reason
	if !d.Renew {
		res.NextAt = d.At.UTC().Format("2006-01-02T15:04:05Z")
		o.step("%s: not due (%s) until %s", name, d.Reason, res.NextAt)
		if err := st.SaveState(name, d.State); err != nil {
			return fail(err)
		}
		return res
	}
	o.step("%s: renewing (%s)", name, d.Reason)
	sv, err := issueAndSave(ctx, st, s, name, r, replaces, o)
	if err != nil {
		_ = st.SaveState(name, d.State.Failed(e.now(), err))
		return fail(err)
	}
	res.Renewed, res.Saved = true, sv
	if err := st.SaveState(name, d.State.Succeeded()); err != nil {
		return fail(err)
	}
	if err := reloadInstaller(ctx, r, o, name); err != nil {
		return fail(err)
	}
	if hook == "" {
		hook = r.DeployHook
	}
	if hook != "" {
		if err := deployHook(ctx, e, hook, st.LineageDir(name), r.Domains); err != nil {
			return fail(err)
		}
		o.step("%s: deploy hook ran", name)
	}
	return res
}

// renewalInfo asks for the ARI window; no ARI (or a failure to get it)
// falls back to the lifetime rule.
func renewalInfo(ctx context.Context, c *client.Client, leaf *x509.Certificate) (*renew.Window, string) {
	info, _, err := c.RenewalInfo(ctx, leaf)
	if err != nil {
		// core.ErrNotFound: no ARI offered; other errors: fall back too.
		return nil, ""
	}
	id, err := client.ARICertID(leaf)
	if err != nil {
		return nil, ""
	}
	return &renew.Window{Start: info.SuggestedWindow.Start, End: info.SuggestedWindow.End}, id
}

func domainsEnv(d []string) string { return strings.Join(d, " ") }
