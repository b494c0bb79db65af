package ra

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"strings"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// maxContacts bounds the contact list of one account.
const maxContacts = 10

// NewAccountRequest is a verified newAccount request.
type NewAccountRequest struct {
	Key                []byte // public JWK, JSON
	KeyID              string // RFC 7638 thumbprint
	PublicKey          crypto.PublicKey
	Contact            []string
	TermsAgreed        bool
	OnlyReturnExisting bool
	EABKeyID           string // set when a valid binding was presented
	RemoteIP           string
}

// NewAccount creates an account, or returns the existing one for the key
// with existed set.
func (r *RA) NewAccount(ctx context.Context, req NewAccountRequest) (acct *core.Account, existed bool, err error) {
	acct, err = r.store.GetAccountByKeyID(ctx, req.KeyID)
	switch {
	case err == nil:
		if acct.Status != acme.StatusValid {
			return nil, false, core.Errorf(core.ErrUnauthorized, "the account for this key is %s", acct.Status)
		}
		return acct, true, nil
	case !errors.Is(err, core.ErrNotFound):
		return nil, false, fmt.Errorf("looking up account: %w", err)
	}
	if req.OnlyReturnExisting {
		return nil, false, core.Errorf(core.ErrAccountDoesNotExist, "no account exists for this key")
	}
	if r.cfg.TermsOfService != "" && !req.TermsAgreed {
		return nil, false, core.Errorf(core.ErrMalformed, "you must agree to the terms of service (%s): set termsOfServiceAgreed", r.cfg.TermsOfService)
	}
	if r.cfg.EABRequired && req.EABKeyID == "" {
		return nil, false, core.Errorf(core.ErrExternalAccountRequired, "this server requires an external account binding")
	}
	if err := r.pol.CheckKey(req.PublicKey); err != nil {
		return nil, false, err
	}
	if err := r.checkNotBlocked(ctx, req.PublicKey); err != nil {
		return nil, false, err
	}
	if err := checkContacts(req.Contact); err != nil {
		return nil, false, err
	}
	ip, _ := netip.ParseAddr(req.RemoteIP) // an unparsable address is the zero Addr, which spends nothing
	res, err := r.lim.NewAccount(ctx, ip)
	if err != nil {
		return nil, false, err
	}
	acct = &core.Account{
		Key: req.Key, KeyID: req.KeyID, Contact: req.Contact, Status: acme.StatusValid,
		TermsAgreed: req.TermsAgreed, EABKeyID: req.EABKeyID, CreatedAt: r.now(), InitialIP: req.RemoteIP,
	}
	if err := r.store.NewAccount(ctx, acct); err != nil {
		r.refund(ctx, res)
		if errors.Is(err, core.ErrConflict) {
			// Another request registered the same key first: theirs stands.
			existing, gerr := r.store.GetAccountByKeyID(ctx, req.KeyID)
			if gerr != nil {
				return nil, false, fmt.Errorf("looking up raced account: %w", gerr)
			}
			return existing, true, nil
		}
		return nil, false, fmt.Errorf("storing account: %w", err)
	}
	r.log.LogAttrs(ctx, slogAudit, "account created", attrAcct(acct.ID))
	return acct, false, nil
}

// UpdateAccount changes an account's contacts, or deactivates it when
// status is "deactivated". A nil contact leaves contacts alone.
func (r *RA) UpdateAccount(ctx context.Context, acct *core.Account, contact []string, status acme.Status) (*core.Account, error) {
	updated := *acct
	switch status {
	case "":
	case acme.StatusDeactivated:
		updated.Status = acme.StatusDeactivated
	default:
		return nil, core.Errorf(core.ErrMalformed, "an account's status can only be set to deactivated")
	}
	if contact != nil {
		if err := checkContacts(contact); err != nil {
			return nil, err
		}
		updated.Contact = contact
	}
	if err := r.store.UpdateAccount(ctx, &updated); err != nil {
		return nil, fmt.Errorf("updating account: %w", err)
	}
	if updated.Status == acme.StatusDeactivated {
		if err := r.store.DeactivateAccountAuthorizations(ctx, acct.ID); err != nil {
			return nil, fmt.Errorf("deactivating authorizations: %w", err)
		}
		r.log.LogAttrs(ctx, slogAudit, "account deactivated", attrAcct(acct.ID))
	}
	return &updated, nil
}

// ChangeKey replaces an account's key (RFC 8555 §7.3.5). When the new key
// already belongs to an account, that account is returned with a conflict.
func (r *RA) ChangeKey(ctx context.Context, acct *core.Account, key []byte, keyID string, pub crypto.PublicKey) (*core.Account, error) {
	if err := r.pol.CheckKey(pub); err != nil {
		return nil, err
	}
	if err := r.checkNotBlocked(ctx, pub); err != nil {
		return nil, err
	}
	if other, err := r.store.GetAccountByKeyID(ctx, keyID); err == nil {
		return other, core.Errorf(core.ErrConflict, "the new key is already in use by an account")
	} else if !errors.Is(err, core.ErrNotFound) {
		return nil, fmt.Errorf("looking up new key: %w", err)
	}
	updated := *acct
	updated.Key, updated.KeyID = key, keyID
	if err := r.store.UpdateAccount(ctx, &updated); err != nil {
		if errors.Is(err, core.ErrConflict) {
			other, _ := r.store.GetAccountByKeyID(ctx, keyID)
			return other, core.Errorf(core.ErrConflict, "the new key is already in use by an account")
		}
		return nil, fmt.Errorf("storing new key: %w", err)
	}
	r.log.LogAttrs(ctx, slogAudit, "account key changed", attrAcct(acct.ID))
	return &updated, nil
}

// checkContacts accepts only mailto: URIs with one plain address each.
func checkContacts(contacts []string) error {
	if len(contacts) > maxContacts {
		return core.Errorf(core.ErrInvalidContact, "at most %d contacts are allowed", maxContacts)
	}
	for _, c := range contacts {
		addr, ok := strings.CutPrefix(c, "mailto:")
		if !ok {
			return core.Errorf(core.ErrUnsupportedContact, "contact %q: only mailto: contacts are supported", truncate(c, 80))
		}
		if strings.ContainsAny(addr, "?,;%\x00\r\n ") || addr == "" {
			return core.Errorf(core.ErrInvalidContact, "contact %q: must be a single plain email address", truncate(c, 80))
		}
		parsed, err := mail.ParseAddress(addr)
		if err != nil || parsed.Address != addr || parsed.Name != "" {
			return core.Errorf(core.ErrInvalidContact, "contact %q: not a valid email address", truncate(c, 80))
		}
		_, domain, _ := strings.Cut(addr, "@")
		if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
			return core.Errorf(core.ErrInvalidContact, "contact %q: the domain must be fully qualified", truncate(c, 80))
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
