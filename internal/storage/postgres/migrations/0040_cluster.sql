-- Several quarry serve instances share this database; the port of
-- SQLite's 0040.

-- Nonces redeemed at any instance, kept until they expire so none is
-- accepted twice; issuing a nonce writes nothing (its expiry and a MAC
-- travel inside it). The leader sweeps expired rows.
CREATE TABLE used_nonces (
    id      BYTEA  PRIMARY KEY,
    expires BIGINT NOT NULL
);

CREATE INDEX used_nonces_by_expiry ON used_nonces (expires);

-- One row per background job lease: who runs it, and until when.
CREATE TABLE leases (
    name    TEXT   PRIMARY KEY,
    holder  TEXT   NOT NULL,
    expires BIGINT NOT NULL
);

-- Secrets every instance must agree on (the nonce MAC key); the first
-- instance to start writes them.
CREATE TABLE shared_secrets (
    name  TEXT  PRIMARY KEY,
    value BYTEA NOT NULL
);
