package main

import (
	"context"
	"os"
)

func runRevoke(ctx context.Context, e env, args []string) int {
	var c common
	var certName, certPath string
	var reason int
	fs := flagSet(e, "revoke")
	c.bind(fs)
	fs.StringVar(&certName, "cert-name", "", "revoke the live certificate of this lineage")
	fs.StringVar(&certPath, "cert-path", "", "revoke the certificate in this PEM file (signed with the server's stored account)")
	fs.IntVar(&reason, "reason", 0, "RFC 5280 reason code: 0 unspecified, 1 keyCompromise, 4 superseded, 5 cessationOfOperation")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	o := c.out(e)
	if (certName == "") == (certPath == "") {
		return o.usageErr("name the certificate with --cert-name or --cert-path, one of them.")
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
	var pemBytes []byte
	server, caBundle, account := "", c.caBundle, ""
	if certName != "" {
		r, err := st.LoadRenewal(certName)
		if err != nil {
			return o.fail(err)
		}
		_, files, err := st.Current(certName)
		if err != nil {
			return o.fail(err)
		}
		pemBytes, server, account = files.Cert, r.Server, r.Account
		if caBundle == "" {
			caBundle = r.CABundle
		}
	} else {
		if pemBytes, err = os.ReadFile(certPath); err != nil {
			return o.fail(err)
		}
		if server, err = serverURL(c.server); err != nil {
			return o.usageErr("%v", err)
		}
	}
	leaf, err := parseCert(pemBytes)
	if err != nil {
		return o.fail(err)
	}
	s, err := loadSession(e, st, server, caBundle, account)
	if err != nil {
		return o.fail(err)
	}
	if err := s.client.Revoke(ctx, leaf.Raw, nil, reason); err != nil {
		return o.fail(err)
	}
	o.step("Revoked certificate serial %x", leaf.SerialNumber)
	o.result(map[string]any{"revoked": true, "serial": leaf.SerialNumber.Text(16)})
	return exitOK
}
