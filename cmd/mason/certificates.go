package main

import (
	"context"
	"fmt"
	"time"

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
	Error     string    `json:"error,omitempty"`
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
		o.step("%s\n  domains:   %v\n  expires:   %s (%d days)\n  fullchain: %s\n  privkey:   %s",
			i.Name, i.Domains, i.NotAfter.Format("2006-01-02 15:04 MST"), i.DaysLeft, i.FullChain, i.PrivKey)
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
	return info
}
