package main

import (
	"context"
	"errors"
)

func runRegister(ctx context.Context, e env, args []string) int {
	var c common
	var email string
	var agree bool
	fs := flagSet(e, "register")
	c.bind(fs)
	fs.StringVar(&email, "email", "", "contact address for the CA's expiry and policy mail")
	fs.BoolVar(&agree, "agree-tos", false, "agree to the CA's terms of service")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	o := c.out(e)
	if !agree {
		return o.usageErr("registering needs --agree-tos: read the CA's terms of service first.")
	}
	dirURL, err := serverURL(c.server)
	if err != nil {
		return o.usageErr("%v", err)
	}
	st, err := openStore(e, c)
	if err != nil {
		return o.fail(err)
	}
	unlock, err := e.lock(ctx, st)
	if err != nil {
		return o.fail(err)
	}
	defer unlock()
	if s, err := loadSession(e, st, dirURL, c.caBundle, ""); err == nil {
		o.step("Account already registered: %s", s.account.URL)
		o.result(s.account)
		return exitOK
	} else if !errors.Is(err, errNoAccount) {
		return o.fail(err)
	}
	s, err := register(ctx, e, st, dirURL, c.caBundle, email, o)
	if err != nil {
		return o.fail(err)
	}
	o.result(s.account)
	return exitOK
}
