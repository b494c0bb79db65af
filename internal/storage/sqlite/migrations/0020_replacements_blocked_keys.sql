-- Which order replaces which certificate (RFC 9773 "replaces"). A claim
-- counts while its order is processing or valid; an invalid order's claim
-- is taken over.
CREATE TABLE replacements (
    serial   TEXT    PRIMARY KEY REFERENCES certificates (serial),
    order_id INTEGER NOT NULL REFERENCES orders (id)
) STRICT;

-- Public keys that may not be used again (revoked for keyCompromise), by
-- the SHA-256 of their DER SubjectPublicKeyInfo.
CREATE TABLE blocked_keys (
    spki_sha256 BLOB    PRIMARY KEY,
    serial      TEXT    NOT NULL,
    added_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
