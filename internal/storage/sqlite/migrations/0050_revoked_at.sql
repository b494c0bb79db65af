-- The CRL generator polls for revocations made outside its process
-- (quarry admin, other instances) by revocation time; the index covers
-- the poll, so it never reads certificate rows.
CREATE INDEX certificates_by_revoked_at ON certificates (revoked_at, issuer_id, shard, serial);
