-- Several quarry serve instances may share this database.

-- Nonces any instance issued; a redemption deletes its row. Expired rows
-- are swept by the leader.
CREATE TABLE nonces (
    id      BLOB    PRIMARY KEY,
    expires INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX nonces_by_expiry ON nonces (expires);

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
