package main

import (
	"context"
	"errors"
)

func runRegister(ctx context.Context, e env, args []string) int {
	var c common
	var reg registration
	fs := flagSet(e, "register")
	c.bind(fs)
	reg.bind(fs)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	o := c.out(e)
	if !reg.agree {
		return o.usageErr("registering needs --agree-tos: read the CA's terms of service first.")
	}
	if _, err := reg.eab(); err != nil {
		return o.usageErr("%v.", err)
	}
	dirURL, err := serverURL(c.server)
	if err != nil {
		return o.usageErr("%v", err)
	}
	st, unlock, err := openLocked(ctx, e, c)
	if err != nil {
		return o.fail(err)
	}
	defer unlock()
	if s, err := loadSession(ctx, e, st, dirURL, c.caBundle, ""); err == nil {
		o.step("Account already registered: %s", s.account.URL)
		o.result(s.account)
		return exitOK
	} else if !errors.Is(err, errNoAccount) {
		return o.fail(err)
	}
	s, err := register(ctx, e, st, dirURL, c.caBundle, reg, o)
	if err != nil {
		return o.fail(err)
	}
	o.result(s.account)
	return exitOK
}
