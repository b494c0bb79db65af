package storagetest

import (
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func testAccounts(t *testing.T, f *fixture) {
	t.Run("create and get", func(t *testing.T) {
		a := f.account(t)
		if a.ID == 0 {
			t.Fatalf("NewAccount: got ID 0, want one set")
		}
		got, err := f.s.GetAccount(t.Context(), a.ID)
		wantErr(t, "GetAccount", err, nil)
		same(t, "GetAccount", normAccount(got), normAccount(a))
		got, err = f.s.GetAccountByKeyID(t.Context(), a.KeyID)
		wantErr(t, "GetAccountByKeyID", err, nil)
		same(t, "GetAccountByKeyID", normAccount(got), normAccount(a))
	})
	t.Run("distinct ids", func(t *testing.T) {
		a, b := f.account(t), f.account(t)
		if a.ID == b.ID {
			t.Errorf("two accounts: got IDs %d and %d, want distinct", a.ID, b.ID)
		}
	})
	t.Run("no contact", func(t *testing.T) {
		a := &core.Account{Key: []byte(`{"kty":"OKP"}`), KeyID: "no-contact", Status: acme.StatusValid, CreatedAt: f.now}
		wantErr(t, "NewAccount", f.s.NewAccount(t.Context(), a), nil)
		got, err := f.s.GetAccount(t.Context(), a.ID)
		wantErr(t, "GetAccount", err, nil)
		same(t, "GetAccount", normAccount(got), normAccount(a))
	})
	t.Run("conflicting key", func(t *testing.T) {
		a := f.account(t)
		dup := *a
		dup.ID = 0
		wantErr(t, "NewAccount with a stored KeyID", f.s.NewAccount(t.Context(), &dup), core.ErrConflict)
		if dup.ID != 0 {
			t.Errorf("failed NewAccount: got ID %d, want 0", dup.ID)
		}
	})
	t.Run("update", testUpdateAccount(f))
	t.Run("update to a key in use", func(t *testing.T) {
		a, b := f.account(t), f.account(t)
		changed := *a
		changed.Key, changed.KeyID = b.Key, b.KeyID
		wantErr(t, "UpdateAccount", f.s.UpdateAccount(t.Context(), &changed), core.ErrConflict)
		got, err := f.s.GetAccount(t.Context(), a.ID)
		wantErr(t, "GetAccount", err, nil)
		same(t, "account after failed update", normAccount(got), normAccount(a))
	})
}

func testUpdateAccount(f *fixture) func(t *testing.T) {
	return func(t *testing.T) {
		a := f.account(t)
		oldKeyID := a.KeyID
		a.Contact = []string{"mailto:new@example.org", "mailto:other@example.org"}
		a.Status = acme.StatusDeactivated
		a.Key, a.KeyID = []byte(`{"crv":"Ed25519","kty":"OKP","x":"new"}`), "thumbprint-new"
		wantErr(t, "UpdateAccount", f.s.UpdateAccount(t.Context(), a), nil)
		got, err := f.s.GetAccount(t.Context(), a.ID)
		wantErr(t, "GetAccount", err, nil)
		same(t, "GetAccount after update", normAccount(got), normAccount(a))
		got, err = f.s.GetAccountByKeyID(t.Context(), "thumbprint-new")
		wantErr(t, "GetAccountByKeyID new key", err, nil)
		if got.ID != a.ID {
			t.Errorf("GetAccountByKeyID new key: got account %d, want %d", got.ID, a.ID)
		}
		_, err = f.s.GetAccountByKeyID(t.Context(), oldKeyID)
		wantErr(t, "GetAccountByKeyID old key", err, core.ErrNotFound)
	}
}
