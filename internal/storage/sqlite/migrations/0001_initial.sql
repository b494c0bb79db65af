-- Initial schema. Times are UTC unix nanoseconds (NULL: not set); JSON
-- columns hold arrays or objects encoded by the Go code.

CREATE TABLE accounts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key_json     BLOB    NOT NULL,
    key_id       TEXT    NOT NULL UNIQUE,
    contact      TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    terms_agreed INTEGER NOT NULL,
    eab_kid      TEXT    NOT NULL,
    created_at   INTEGER,
    initial_ip   TEXT    NOT NULL
) STRICT;

CREATE TABLE orders (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    status      TEXT    NOT NULL,
    expires     INTEGER,
    identifiers TEXT    NOT NULL,
    not_before  INTEGER,
    not_after   INTEGER,
    error       TEXT,
    cert_serial TEXT REFERENCES certificates (serial),
    profile     TEXT    NOT NULL,
    replaces    TEXT    NOT NULL,
    created_at  INTEGER
) STRICT;

-- ListOrders pages through one account's orders by id.
CREATE INDEX orders_by_account ON orders (account_id, id);

CREATE TABLE authzs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id       INTEGER NOT NULL REFERENCES accounts (id),
    identifier_type  TEXT    NOT NULL,
    identifier_value TEXT    NOT NULL,
    wildcard         INTEGER NOT NULL,
    status           TEXT    NOT NULL,
    expires          INTEGER
) STRICT;

-- FindValid/FindPendingAuthorization and ValidAuthorizedNames; its prefix
-- serves DeactivateAccountAuthorizations.
CREATE INDEX authzs_by_identifier
    ON authzs (account_id, identifier_type, identifier_value, wildcard, status, expires);

CREATE TABLE order_authzs (
    order_id INTEGER NOT NULL REFERENCES orders (id),
    authz_id INTEGER NOT NULL REFERENCES authzs (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (order_id, position)
) STRICT, WITHOUT ROWID;

CREATE INDEX order_authzs_by_authz ON order_authzs (authz_id);

CREATE TABLE challenges (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    authz_id  INTEGER NOT NULL REFERENCES authzs (id),
    type      TEXT    NOT NULL,
    status    TEXT    NOT NULL,
    token     TEXT    NOT NULL,
    validated INTEGER,
    error     TEXT,
    records   TEXT
) STRICT;

CREATE INDEX challenges_by_authz ON challenges (authz_id, id);

CREATE TABLE certificates (
    serial     TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    order_id   INTEGER NOT NULL REFERENCES orders (id),
    issuer_id  TEXT    NOT NULL,
    der        BLOB    NOT NULL,
    names      TEXT    NOT NULL,
    not_before INTEGER,
    not_after  INTEGER,
    issued_at  INTEGER,
    revoked    INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER,
    reason     INTEGER NOT NULL DEFAULT 0
) STRICT;

-- CRL generation and expiry sweeps walk certificates by expiry.
CREATE INDEX certificates_by_expiry ON certificates (not_after);
CREATE INDEX certificates_by_account ON certificates (account_id);
