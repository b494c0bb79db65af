-- Each certificate's CRL shard, fixed at issuance; the port of SQLite's
-- 0002. Certificates issued before this migration used 16 shards, and
-- serial mod 16 is the serial's last hex digit.
ALTER TABLE certificates ADD COLUMN shard INTEGER NOT NULL DEFAULT 0;
UPDATE certificates SET shard = strpos('0123456789abcdef', lower(right(serial, 1))) - 1;

-- CRL generation walks one shard's revoked, unexpired certificates.
CREATE INDEX certificates_by_crl_shard ON certificates (issuer_id, shard, revoked, not_after);

-- The last CRL number used per shard; numbers only grow.
CREATE TABLE crl_numbers (
    issuer_id TEXT    NOT NULL,
    shard     INTEGER NOT NULL,
    number    BIGINT  NOT NULL,
    PRIMARY KEY (issuer_id, shard)
);

-- The latest signed CRL per shard, served by any instance.
CREATE TABLE crls (
    issuer_id   TEXT    NOT NULL,
    shard       INTEGER NOT NULL,
    number      BIGINT  NOT NULL,
    der         BYTEA   NOT NULL,
    this_update BIGINT  NOT NULL,
    next_update BIGINT  NOT NULL,
    PRIMARY KEY (issuer_id, shard)
);
