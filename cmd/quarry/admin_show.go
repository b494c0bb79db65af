package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/ra"
)

// certView is a certificate as quarry admin prints it.
type certView struct {
	Serial     string          `json:"serial"`
	Status     ra.CertStatus   `json:"status"`
	Names      []string        `json:"names"`
	Issuer     string          `json:"issuer"`
	IssuerID   string          `json:"issuerId"`
	Shard      int             `json:"crlShard"`
	NotBefore  string          `json:"notBefore"`
	NotAfter   string          `json:"notAfter"`
	IssuedAt   string          `json:"issuedAt"`
	AccountID  int64           `json:"account"`
	OrderID    int64           `json:"order"`
	Revocation *revocationView `json:"revocation,omitempty"`
}

type revocationView struct {
	Reason     string `json:"reason"`
	ReasonCode int    `json:"reasonCode"`
	RevokedAt  string `json:"revokedAt"`
}

func newCertView(info *ra.CertInfo) certView {
	c := info.Cert
	v := certView{Serial: c.Serial, Status: info.Status, Names: c.Names, Issuer: info.Parsed.Issuer.String(),
		IssuerID: c.IssuerID, Shard: c.Shard, NotBefore: timeText(c.NotBefore), NotAfter: timeText(c.NotAfter),
		IssuedAt: timeText(c.IssuedAt), AccountID: c.AccountID, OrderID: c.OrderID}
	if v.Names == nil {
		v.Names = []string{}
	}
	if c.Revoked {
		v.Revocation = &revocationView{Reason: ra.ReasonName(c.RevocationReason), ReasonCode: c.RevocationReason, RevokedAt: timeText(c.RevokedAt)}
	}
	return v
}

func adminCertShow(args []string, stdout, stderr io.Writer) error {
	f := newAdminFlags("cert show", false, stderr)
	pos, err := f.parse(args, "SERIAL")
	if err != nil {
		return err
	}
	serial, err := ra.NormalizeSerial(pos[0])
	if err != nil {
		return usageError{oneSentence(err)}
	}
	return f.withEnv(stderr, func(ctx context.Context, env *adminEnv) error {
		info, err := env.admin.Certificate(ctx, serial)
		if err != nil {
			return oneSentence(err)
		}
		v := newCertView(info)
		if f.json {
			return writeJSON(stdout, v)
		}
		status := string(v.Status)
		if r := v.Revocation; r != nil {
			status = fmt.Sprintf("revoked (%s, %s)", r.Reason, r.RevokedAt)
		}
		fmt.Fprintf(stdout, "Certificate %s\n", v.Serial)
		rows := [][2]string{
			{"Status", status},
			{"Names", strings.Join(v.Names, ", ")},
			{"Issuer", fmt.Sprintf("%s (issuer %s, CRL shard %d)", v.Issuer, v.IssuerID, v.Shard)},
			{"Not before", v.NotBefore},
			{"Not after", v.NotAfter},
			{"Issued", v.IssuedAt},
			{"Account", fmt.Sprint(v.AccountID)},
			{"Order", fmt.Sprint(v.OrderID)},
		}
		printRows(stdout, rows)
		return nil
	})
}

// accountView is an account as quarry admin prints it. The key itself is
// left out: its thumbprint names it.
type accountView struct {
	ID            int64    `json:"id"`
	Status        string   `json:"status"`
	Contact       []string `json:"contact"`
	KeyThumbprint string   `json:"keyThumbprint"`
	CreatedAt     string   `json:"createdAt"`
	InitialIP     string   `json:"initialIp,omitempty"`
	EABKeyID      string   `json:"eabKeyId,omitempty"`
	TermsAgreed   bool     `json:"termsAgreed"`
}

func newAccountView(a *core.Account) accountView {
	v := accountView{ID: a.ID, Status: string(a.Status), Contact: a.Contact, KeyThumbprint: a.KeyID,
		CreatedAt: timeText(a.CreatedAt), InitialIP: a.InitialIP, EABKeyID: a.EABKeyID, TermsAgreed: a.TermsAgreed}
	if v.Contact == nil {
		v.Contact = []string{}
	}
	return v
}

func printAccount(w io.Writer, v accountView) {
	fmt.Fprintf(w, "Account %d\n", v.ID)
	printRows(w, [][2]string{
		{"Status", v.Status},
		{"Contact", strings.Join(v.Contact, ", ")},
		{"Key (SHA-256 thumbprint)", v.KeyThumbprint},
		{"Created", v.CreatedAt},
		{"From address", v.InitialIP},
		{"EAB key ID", v.EABKeyID},
		{"Agreed to terms", fmt.Sprint(v.TermsAgreed)},
	})
}

func adminAccountShow(args []string, stdout, stderr io.Writer) error {
	f := newAdminFlags("account show", false, stderr)
	id, err := f.parseOneID(args, "account")
	if err != nil {
		return err
	}
	return f.withEnv(stderr, func(ctx context.Context, env *adminEnv) error {
		a, err := env.admin.Account(ctx, id)
		if err != nil {
			return oneSentence(err)
		}
		if f.json {
			return writeJSON(stdout, newAccountView(a))
		}
		printAccount(stdout, newAccountView(a))
		return nil
	})
}

func adminAccountDeactivate(args []string, stdout, stderr io.Writer) error {
	f := newAdminFlags("account deactivate", true, stderr)
	id, err := f.parseOneID(args, "account")
	if err != nil {
		return err
	}
	return f.withEnv(stderr, func(ctx context.Context, env *adminEnv) error {
		a, err := env.admin.DeactivateAccount(ctx, f.operator(), id, f.dryRun)
		if err != nil {
			return oneSentence(err)
		}
		if f.json {
			return writeJSON(stdout, struct {
				DryRun  bool        `json:"dryRun"`
				Account accountView `json:"account"`
			}{f.dryRun, newAccountView(a)})
		}
		if f.dryRun {
			fmt.Fprintf(stdout, "Would deactivate account %d and its pending and valid authorizations (dry run, nothing changed).\n", id)
		} else {
			fmt.Fprintf(stdout, "Deactivated account %d and its pending and valid authorizations; its certificates stay valid.\n", id)
		}
		return nil
	})
}

// orderView is an order as quarry admin prints it.
type orderView struct {
	ID          int64       `json:"id"`
	AccountID   int64       `json:"account"`
	Status      string      `json:"status"`
	Identifiers []string    `json:"identifiers"`
	Profile     string      `json:"profile,omitempty"`
	CreatedAt   string      `json:"createdAt"`
	Expires     string      `json:"expires"`
	Certificate string      `json:"certificate,omitempty"`
	Error       string      `json:"error,omitempty"`
	Authzs      []authzView `json:"authorizations"`
}

type authzView struct {
	ID         int64  `json:"id"`
	Identifier string `json:"identifier"`
	Status     string `json:"status"`
	Expires    string `json:"expires"`
}

func newOrderView(info *ra.OrderInfo) orderView {
	o := info.Order
	v := orderView{ID: o.ID, AccountID: o.AccountID, Status: string(info.Status), Identifiers: []string{},
		Profile: o.Profile, CreatedAt: timeText(o.CreatedAt), Expires: timeText(o.Expires), Certificate: o.CertSerial,
		Authzs: []authzView{}}
	for _, id := range o.Identifiers {
		v.Identifiers = append(v.Identifiers, id.Value)
	}
	if o.Error != nil {
		v.Error = o.Error.Error()
	}
	for _, az := range info.Authzs {
		name := az.Identifier.Value
		if az.Wildcard {
			name = "*." + name
		}
		v.Authzs = append(v.Authzs, authzView{ID: az.ID, Identifier: name, Status: string(az.Status), Expires: timeText(az.Expires)})
	}
	return v
}

func adminOrderShow(args []string, stdout, stderr io.Writer) error {
	f := newAdminFlags("order show", false, stderr)
	id, err := f.parseOneID(args, "order")
	if err != nil {
		return err
	}
	return f.withEnv(stderr, func(ctx context.Context, env *adminEnv) error {
		info, err := env.admin.Order(ctx, id)
		if err != nil {
			return oneSentence(err)
		}
		v := newOrderView(info)
		if f.json {
			return writeJSON(stdout, v)
		}
		fmt.Fprintf(stdout, "Order %d\n", v.ID)
		rows := [][2]string{
			{"Status", v.Status},
			{"Account", fmt.Sprint(v.AccountID)},
			{"Identifiers", strings.Join(v.Identifiers, ", ")},
			{"Profile", v.Profile},
			{"Created", v.CreatedAt},
			{"Expires", v.Expires},
			{"Certificate", v.Certificate},
			{"Error", v.Error},
		}
		for _, az := range v.Authzs {
			rows = append(rows, [2]string{fmt.Sprintf("Authorization %d", az.ID), fmt.Sprintf("%s %s (expires %s)", az.Identifier, az.Status, az.Expires)})
		}
		printRows(stdout, rows)
		return nil
	})
}

// printRows prints label: value lines, aligned, skipping empty values.
func printRows(w io.Writer, rows [][2]string) {
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	for _, r := range rows {
		if r[1] != "" {
			fmt.Fprintf(w, "  %-*s  %s\n", width+1, r[0]+":", r[1])
		}
	}
}
