-- The CRL generator polls for revocations made outside its process
-- (quarry admin, other instances) by revocation time; the port of
-- SQLite's 0050. The index covers the poll (an index-only scan), and rows
-- never revoked (revoked_at NULL) are left out of it.
CREATE INDEX certificates_by_revoked_at ON certificates (revoked_at, issuer_id, shard, serial)
    WHERE revoked_at IS NOT NULL;
