-- Which order replaces which certificate (RFC 9773 "replaces"); the port
-- of SQLite's 0020. A claim counts while its order is processing or
-- valid; an invalid order's claim is taken over.
CREATE TABLE replacements (
    serial   TEXT   PRIMARY KEY REFERENCES certificates (serial) DEFERRABLE,
    order_id BIGINT NOT NULL REFERENCES orders (id) DEFERRABLE
);

-- Public keys that may not be used again (revoked for keyCompromise), by
-- the SHA-256 of their DER SubjectPublicKeyInfo.
CREATE TABLE blocked_keys (
    spki_sha256 BYTEA  PRIMARY KEY,
    serial      TEXT   NOT NULL,
    added_at    BIGINT NOT NULL
);
