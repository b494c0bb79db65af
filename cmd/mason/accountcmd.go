package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client/store"
)

// accountView is what `mason account show` reports.
type accountView struct {
	ID        string    `json:"id"`
	Server    string    `json:"server"`
	URL       string    `json:"url"`
	Status    string    `json:"status"`
	Contact   []string  `json:"contact"`
	CreatedAt time.Time `json:"created_at"`
}

// accountCommands are the subcommands of `mason account`.
var accountCommands = map[string]func(ctx context.Context, e env, st *store.Store, s *session, f accountFlags, o out) int{
	"show":       accountShow,
	"update":     accountUpdate,
	"deactivate": accountDeactivate,
	"rollover":   accountRollover,
}

type accountFlags struct {
	common
	email string
	yes   bool
}

func runAccount(ctx context.Context, e env, args []string) int {
	if len(args) == 0 || accountCommands[args[0]] == nil {
		fmt.Fprintln(e.stderr, "mason: usage: mason account show|update|deactivate|rollover [flags].")
		return exitUsage
	}
	sub := args[0]
	var f accountFlags
	fs := flagSet(e, "account "+sub)
	f.bind(fs)
	if sub == "update" {
		fs.StringVar(&f.email, "email", "", "new contact address(es), comma separated; empty removes all")
	}
	if sub == "deactivate" {
		fs.BoolVar(&f.yes, "yes", false, "confirm: deactivation cannot be undone")
	}
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	o := f.out(e)
	if sub == "deactivate" && !f.yes {
		return o.usageErr("deactivating an account cannot be undone; add --yes to go ahead.")
	}
	dirURL, err := serverURL(f.server)
	if err != nil {
		return o.usageErr("%v", err)
	}
	st, unlock, err := openLocked(ctx, e, f.common)
	if err != nil {
		return o.fail(err)
	}
	defer unlock()
	s, err := loadSession(ctx, e, st, dirURL, f.caBundle, "")
	if err != nil {
		return o.fail(err)
	}
	return accountCommands[sub](ctx, e, st, s, f, o)
}

func accountShow(ctx context.Context, e env, st *store.Store, s *session, f accountFlags, o out) int {
	a, err := s.client.LookupAccount(ctx)
	if err != nil {
		return o.fail(fmt.Errorf("looking up account %s: %w", s.account.URL, err))
	}
	v := accountView{ID: s.account.ID, Server: s.account.Server, URL: a.URL, Status: string(a.Status), Contact: a.Contact, CreatedAt: s.account.CreatedAt}
	if v.Contact == nil {
		v.Contact = []string{}
	}
	o.step("Account %s\n  server:  %s\n  url:     %s\n  status:  %s\n  contact: %v", v.ID, v.Server, v.URL, v.Status, v.Contact)
	o.result(v)
	return exitOK
}

func accountUpdate(ctx context.Context, e env, st *store.Store, s *session, f accountFlags, o out) int {
	a, err := s.client.UpdateAccount(ctx, contacts(f.email))
	if err != nil {
		return o.fail(err)
	}
	rec := s.account
	rec.Contact = a.Contact
	if err := st.UpdateAccount(rec); err != nil {
		return o.fail(err)
	}
	o.step("Account contact updated: %v", a.Contact)
	o.result(rec)
	return exitOK
}

// accountDeactivate deactivates the account at the server, then forgets
// its key: a deactivated account's key can do nothing more.
func accountDeactivate(ctx context.Context, e env, st *store.Store, s *session, f accountFlags, o out) int {
	if err := s.client.DeactivateAccount(ctx); err != nil {
		return o.fail(err)
	}
	if err := st.DeleteAccount(s.account.Server, s.account.ID); err != nil {
		return o.fail(fmt.Errorf("the account is deactivated but its files remain: %w", err))
	}
	o.step("Account deactivated: %s", s.account.URL)
	o.result(map[string]any{"deactivated": true, "url": s.account.URL})
	return exitOK
}

// accountRollover replaces the account key. The new key is written as
// pending before the server is asked, so a crash at any point leaves the
// key the server knows on disk; loadSession settles it on the next run.
func accountRollover(ctx context.Context, e env, st *store.Store, s *session, f accountFlags, o out) int {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return o.fail(fmt.Errorf("generating account key: %w", err))
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return o.fail(err)
	}
	rec := s.account
	if err := st.SavePendingKey(rec.Server, rec.ID, keyPEM); err != nil {
		return o.fail(err)
	}
	if err := s.client.RolloverKey(ctx, key); err != nil {
		// An error may come after the server switched (a lost answer, a
		// proxy's 502), so ask it which key it knows rather than guess.
		_, oldPEM, lerr := st.LoadAccount(rec.Server, rec.ID)
		if lerr != nil {
			return o.fail(lerr)
		}
		used, serr := settleRollover(ctx, e, st, rec, f.caBundle, oldPEM)
		switch {
		case serr != nil:
			return o.fail(fmt.Errorf("%w; whether the server took the new key is unknown, the next mason run asks it", err))
		case string(used) != string(keyPEM):
			return o.fail(err) // the server kept the old key; the pending one is gone
		}
		o.step("The server answered with an error but took the new key")
	} else if err := st.PromotePendingKey(rec.Server, rec.ID); err != nil {
		return o.fail(fmt.Errorf("the server took the new key but saving it failed (%w); the next mason run finishes the switch", err))
	}
	tp, _ := acme.Thumbprint(key.Public())
	o.step("Account key rolled over: %s now signs with key %s", rec.URL, tp)
	o.result(map[string]any{"rolled_over": true, "url": rec.URL, "thumbprint": tp})
	return exitOK
}

func runDelete(ctx context.Context, e env, args []string) int {
	var c common
	var certName string
	fs := flagSet(e, "delete")
	c.bind(fs)
	fs.StringVar(&certName, "cert-name", "", "the lineage to delete: its live links, archive and renewal config")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	o := c.out(e)
	if certName == "" {
		return o.usageErr("name the lineage to delete with --cert-name.")
	}
	st, unlock, err := openLocked(ctx, e, c)
	if err != nil {
		return o.fail(err)
	}
	defer unlock()
	if _, err := st.LoadRenewal(certName); err != nil {
		if _, _, cerr := st.Current(certName); cerr != nil {
			return o.fail(fmt.Errorf("no certificate named %s; 'mason certificates' lists them", certName))
		}
	}
	if err := st.Delete(certName); err != nil {
		return o.fail(err)
	}
	o.step("Deleted %s; revoke it first with 'mason revoke' if its key may have leaked", certName)
	o.result(map[string]any{"deleted": certName})
	return exitOK
}
