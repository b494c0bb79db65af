-- Several quarry serve instances may share this database.

-- Nonces redeemed at any instance, kept until they expire so none is
-- accepted twice; issuing a nonce writes nothing (its expiry and a MAC
-- travel inside it). The leader sweeps expired rows.
CREATE TABLE used_nonces (
    id      BLOB    PRIMARY KEY,
    expires INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX used_nonces_by_expiry ON used_nonces (expires);

-- One row per background job lease: who runs it, and until when.
CREATE TABLE leases (
    name    TEXT    PRIMARY KEY,
    holder  TEXT    NOT NULL,
    expires INTEGER NOT NULL
) STRICT;

-- Secrets every instance must agree on (the nonce MAC key); the first
-- instance to start writes them.
CREATE TABLE shared_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;
